//go:build !unix

package imagefile

// openNonblock is 0 where opens of special files do not block this way.
const openNonblock = 0
