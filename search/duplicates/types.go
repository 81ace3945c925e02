// Package duplicates finds copies of a photo in the library and sorts them
// into tiers, each match with the reason it was made, and suggests which
// copy to keep. It works from the catalog alone (content hashes, EXIF,
// content signatures computed during the scan, stored embeddings) plus the
// vector store for look-alikes: no photo is read again, and pairs are found
// by blocking, never by comparing all pairs.
package duplicates

import (
	"fmt"
	"strings"

	"github.com/simili/simili/library/catalog"
)

// Tier says how strongly the members of a group are the same photo; lower is
// stronger. A photo is placed in its strongest tier only.
type Tier int

const (
	// Identical files have the same bytes (same content hash).
	Identical Tier = 1
	// Same is the same photograph after re-encoding, resizing, format
	// conversion, a light crop, rotation or a light exposure edit.
	Same Tier = 2
	// Burst is different shots of one scene taken seconds apart by the same
	// camera.
	Burst Tier = 3
	// Similar is look-alikes: embedding cosine at or above a threshold.
	Similar Tier = 4
)

// Tiers lists every tier, strongest first.
var Tiers = []Tier{Identical, Same, Burst, Similar}

// String is the tier's name as the CLI and JSON spell it.
func (t Tier) String() string {
	switch t {
	case Identical:
		return "identical"
	case Same:
		return "same"
	case Burst:
		return "burst"
	case Similar:
		return "similar"
	}
	return fmt.Sprintf("tier(%d)", int(t))
}

// Title is the tier's name for people.
func (t Tier) Title() string {
	switch t {
	case Identical:
		return "Identical files"
	case Same:
		return "Same picture"
	case Burst:
		return "Burst / series"
	case Similar:
		return "Look-alikes"
	}
	return t.String()
}

// ParseTier reads a tier name ("identical", "same", "burst", "similar").
func ParseTier(s string) (Tier, error) {
	for _, t := range Tiers {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown tier %q: use identical, same, burst or similar", s)
}

// DefaultThreshold is the look-alike cosine used when Options.Threshold is 0.
const DefaultThreshold = 0.90

// Options selects what Find reports.
type Options struct {
	// Tiers to report; empty means Identical, Same and Burst. Look-alikes
	// (Similar) are reported only when asked for, since they are not copies.
	Tiers []Tier
	// Threshold is the look-alike cosine in (0, 1]; 0 means DefaultThreshold.
	Threshold float32
}

// Member is one photo of a group.
type Member struct {
	Photo  catalog.Photo
	Keeper bool
	// Reason says why this photo is in the group, relative to the photo it
	// was matched with (e.g. "same picture as IMG_1.jpg: pHash distance
	// 4/64, cosine 0.97, cropped"); empty for the keeper.
	Reason string
}

// Group is a set of photos that are copies of each other at one tier.
type Group struct {
	Tier Tier
	// Members, the keeper first, then the others by path.
	Members []Member
	// KeeperReason says why the first member is the one to keep (e.g.
	// "most pixels (4000x3000)").
	KeeperReason string
}

// Keeper returns the suggested photo to keep.
func (g Group) Keeper() catalog.Photo { return g.Members[0].Photo }

// Others returns the members that are not the keeper: what a clean-up moves
// to the trash.
func (g Group) Others() []catalog.Photo {
	out := make([]catalog.Photo, 0, len(g.Members)-1)
	for _, m := range g.Members {
		if !m.Keeper {
			out = append(out, m.Photo)
		}
	}
	return out
}
