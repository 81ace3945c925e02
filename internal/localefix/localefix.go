// Package localefix works around Fyne logging "Error parsing user locale C"
// at start-up on systems whose locale is the POSIX "C" locale (servers, CI,
// containers), which would print on every CLI command.
//
// It must be imported by package main. Go initialises ready packages in
// import-path order, so this package (which imports only os and strings)
// runs before fyne.io/fyne/v2/lang, whose init reads the locale only after
// golang.org/x/text is ready.
package localefix

import (
	"os"
	"strings"
)

func init() {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		val := os.Getenv(v)
		if val == "" {
			continue
		}
		if !isPOSIX(val) {
			return // a real locale decides
		}
		os.Unsetenv(v)
	}
	os.Setenv("LANG", "en_US.UTF-8")
}

func isPOSIX(locale string) bool {
	base, _, _ := strings.Cut(locale, ".")
	return base == "C" || base == "POSIX"
}
