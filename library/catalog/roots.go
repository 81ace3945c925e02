package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/simili/simili/library/facet"
)

// RootState is what the catalog remembers about a library folder's disk.
// A scan compares it with what it finds, so an unplugged or unmounted disk
// (an empty mount point looks like a folder whose photos were all deleted)
// keeps its photos instead of emptying the catalog.
type RootState struct {
	Path string
	// Dev is the folder's device (st_dev) when it was last seen online;
	// 0 when never recorded (catalogs from before schema 3).
	Dev uint64
	// OwnMount says the folder was the top of its own file system (its
	// device differed from its parent's) when last seen online.
	OwnMount bool
	SeenAt   time.Time // last time a scan found it online; zero if never
	// OfflineReason is why the last scan that looked found the folder
	// away ("" when online); OfflineSince is when that began.
	OfflineReason string
	OfflineSince  time.Time
}

// Offline says the folder's disk was away when last looked at.
func (r RootState) Offline() bool { return r.OfflineReason != "" }

// RootStates returns every library folder with its disk state, by path.
func (c *Catalog) RootStates(ctx context.Context) ([]RootState, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT path, dev, own_mount, seen_at, offline_reason, offline_since FROM roots ORDER BY path")
	if err != nil {
		return nil, fmt.Errorf("list library folders: %w", err)
	}
	defer rows.Close()
	var out []RootState
	for rows.Next() {
		var (
			r            RootState
			dev          int64
			seen, offAt  sql.NullInt64
			ownMountFlag int
		)
		if err := rows.Scan(&r.Path, &dev, &ownMountFlag, &seen, &r.OfflineReason, &offAt); err != nil {
			return nil, fmt.Errorf("read library folder: %w", err)
		}
		r.Dev, r.OwnMount = uint64(dev), ownMountFlag != 0
		if seen.Valid {
			r.SeenAt = time.Unix(seen.Int64, 0)
		}
		if offAt.Valid {
			r.OfflineSince = time.Unix(offAt.Int64, 0)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRootOnline records that a scan found the folder present and readable
// on device dev.
func (c *Catalog) SetRootOnline(ctx context.Context, path string, dev uint64, ownMount bool) error {
	_, err := c.db.ExecContext(ctx, `UPDATE roots SET dev = ?, own_mount = ?, seen_at = ?, offline_reason = '', offline_since = NULL WHERE path = ?`,
		int64(dev), boolInt(ownMount), time.Now().Unix(), path)
	if err != nil {
		return fmt.Errorf("record library folder %s online: %w", path, err)
	}
	return nil
}

// SetRootOffline records that the folder's disk is away, and why. The time
// it went away is kept across scans.
func (c *Catalog) SetRootOffline(ctx context.Context, path, reason string) error {
	if reason == "" {
		return fmt.Errorf("library folder %s offline: no reason given", path)
	}
	_, err := c.db.ExecContext(ctx, `UPDATE roots SET offline_reason = ?, offline_since = coalesce(offline_since, ?) WHERE path = ?`,
		reason, time.Now().Unix(), path)
	if err != nil {
		return fmt.Errorf("record library folder %s offline: %w", path, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// offlineRoots lists the folders whose disk is away.
func (c *Catalog) offlineRoots(ctx context.Context) ([]string, error) {
	return c.rootPaths(ctx, "SELECT path FROM roots WHERE offline_reason != ''", "list offline library folders")
}

// markOffline sets Photo.Offline on the photos under an offline folder. It
// is derived at read time from the roots table (one small query), so no
// photo row has to change when a disk comes and goes.
func (c *Catalog) markOffline(ctx context.Context, ps []Photo) error {
	if len(ps) == 0 {
		return nil
	}
	roots, err := c.offlineRoots(ctx)
	if err != nil || len(roots) == 0 {
		return err
	}
	for i := range ps {
		ps[i].Offline = underAny(ps[i].Folder, roots)
	}
	return nil
}

func underAny(folder string, roots []string) bool {
	for _, r := range roots {
		if facet.InFolder(folder, r) {
			return true
		}
	}
	return false
}

// RootOf returns the library folder that holds path (the deepest one when
// folders nest), or "" when none does.
func RootOf(roots []string, path string) string {
	best := ""
	for _, r := range roots {
		if facet.InFolder(path, r) && len(r) > len(best) {
			best = r
		}
	}
	return best
}
