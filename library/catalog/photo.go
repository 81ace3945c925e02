package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/simili/simili/library/facet"
)

// GPS is a position in decimal degrees.
type GPS struct{ Lat, Lon float64 }

// Photo is one catalogued image file.
type Photo struct {
	ID      int64
	Path    string // absolute
	Folder  string // absolute folder of Path
	Size    int64
	ModTime time.Time
	Hash    string // sha256 of the content, lowercase hex
	Format  string
	Width   int // pixels as displayed (after orientation)
	Height  int

	TakenAt       time.Time // zero when unknown; EXIF wall-clock kept in UTC
	TakenAtSource string    // "DateTimeOriginal", "DateTime" or "mtime"

	Make, Model, Lens string
	FocalLengthMM     float64
	FNumber           float64
	ExposureSec       float64
	ISO               int
	GPS               *GPS
	Orientation       int
	ExifWarning       string // why EXIF was only partly read, if it was
	UpdatedAt         time.Time

	// Offline says the photo's library folder is on a disk that was away
	// at the last scan: the file cannot be opened now, but the photo stays
	// catalogued and searchable. Derived from the roots table when read.
	Offline bool
}

const photoColumns = `id, path, folder, size, mtime_ns, hash, format, width, height,
	taken_at, taken_src, make, model, lens, focal_mm, fnumber, exposure_s, iso,
	lat, lon, orientation, exif_warning, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanPhoto(r rowScanner) (Photo, error) {
	var (
		p              Photo
		mtime, updated int64
		taken          sql.NullInt64
		lat, lon       sql.NullFloat64
	)
	err := r.Scan(&p.ID, &p.Path, &p.Folder, &p.Size, &mtime, &p.Hash, &p.Format, &p.Width, &p.Height,
		&taken, &p.TakenAtSource, &p.Make, &p.Model, &p.Lens, &p.FocalLengthMM, &p.FNumber, &p.ExposureSec, &p.ISO,
		&lat, &lon, &p.Orientation, &p.ExifWarning, &updated)
	if err != nil {
		return Photo{}, err
	}
	p.ModTime = time.Unix(0, mtime)
	p.UpdatedAt = time.Unix(updated, 0)
	if taken.Valid {
		p.TakenAt = time.Unix(taken.Int64, 0).UTC()
	}
	if lat.Valid && lon.Valid {
		p.GPS = &GPS{Lat: lat.Float64, Lon: lon.Float64}
	}
	return p, nil
}

// ErrNotFound means no photo matched.
var ErrNotFound = errors.New("photo not found in the catalog")

// PhotoByPath returns the photo catalogued at path.
func (c *Catalog) PhotoByPath(ctx context.Context, path string) (Photo, error) {
	row := c.db.QueryRowContext(ctx, "SELECT "+photoColumns+" FROM photos WHERE path = ?", path)
	p, err := scanPhoto(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Photo{}, fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return Photo{}, fmt.Errorf("read photo %s: %w", path, err)
	}
	return c.markOne(ctx, p)
}

// Photo returns the photo with the given id.
func (c *Catalog) Photo(ctx context.Context, id int64) (Photo, error) {
	row := c.db.QueryRowContext(ctx, "SELECT "+photoColumns+" FROM photos WHERE id = ?", id)
	p, err := scanPhoto(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Photo{}, fmt.Errorf("photo %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Photo{}, fmt.Errorf("read photo %d: %w", id, err)
	}
	return c.markOne(ctx, p)
}

func (c *Catalog) markOne(ctx context.Context, p Photo) (Photo, error) {
	ps := []Photo{p}
	if err := c.markOffline(ctx, ps); err != nil {
		return Photo{}, err
	}
	return ps[0], nil
}

// Photos returns the photos with the given ids, in that order; unknown ids
// are left out.
func (c *Catalog) Photos(ctx context.Context, ids []int64) ([]Photo, error) {
	out := make([]Photo, 0, len(ids))
	for _, id := range ids {
		p, err := c.Photo(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// PhotosByHash returns every photo whose content has the given hash.
func (c *Catalog) PhotosByHash(ctx context.Context, hash string) ([]Photo, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT "+photoColumns+" FROM photos WHERE hash = ? ORDER BY id", hash)
	if err != nil {
		return nil, fmt.Errorf("photos by hash: %w", err)
	}
	ps, err := collectPhotos(rows)
	if err != nil {
		return nil, err
	}
	return ps, c.markOffline(ctx, ps)
}

func collectPhotos(rows *sql.Rows) ([]Photo, error) {
	defer rows.Close()
	var out []Photo
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return nil, fmt.Errorf("scan photo row: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read photo rows: %w", err)
	}
	return out, nil
}

// PutPhoto inserts p, or updates the row with the same ID (when p.ID != 0)
// or the same path, and records that scan generation gen saw it. It sets
// p.ID and clears any failure recorded for the path.
func (c *Catalog) PutPhoto(ctx context.Context, p *Photo, gen int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error { return putPhoto(ctx, tx, p, gen) })
}

func putPhoto(ctx context.Context, tx *sql.Tx, p *Photo, gen int64) error {
	if p.Folder == "" {
		p.Folder = filepath.Dir(p.Path)
	}
	var taken sql.NullInt64
	if !p.TakenAt.IsZero() {
		taken = sql.NullInt64{Int64: p.TakenAt.Unix(), Valid: true}
	}
	var lat, lon sql.NullFloat64
	if p.GPS != nil {
		lat = sql.NullFloat64{Float64: p.GPS.Lat, Valid: true}
		lon = sql.NullFloat64{Float64: p.GPS.Lon, Valid: true}
	}
	if p.Orientation == 0 {
		p.Orientation = 1
	}
	now := time.Now().Unix()
	args := []any{p.Path, p.Folder, p.Size, p.ModTime.UnixNano(), p.Hash, p.Format, p.Width, p.Height,
		taken, p.TakenAtSource, p.Make, p.Model, p.Lens, p.FocalLengthMM, p.FNumber, p.ExposureSec, p.ISO,
		lat, lon, p.Orientation, p.ExifWarning, gen, now}
	const set = `path=?, folder=?, size=?, mtime_ns=?, hash=?, format=?, width=?, height=?,
		taken_at=?, taken_src=?, make=?, model=?, lens=?, focal_mm=?, fnumber=?, exposure_s=?, iso=?,
		lat=?, lon=?, orientation=?, exif_warning=?, scan_gen=?, updated_at=?`
	if p.ID == 0 {
		err := tx.QueryRowContext(ctx, "SELECT id FROM photos WHERE path = ?", p.Path).Scan(&p.ID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up %s: %w", p.Path, err)
		}
	}
	if p.ID != 0 {
		if _, err := tx.ExecContext(ctx, "UPDATE photos SET "+set+" WHERE id = ?", append(args, p.ID)...); err != nil {
			return fmt.Errorf("update photo %s: %w", p.Path, err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `INSERT INTO photos (path, folder, size, mtime_ns, hash, format, width, height,
			taken_at, taken_src, make, model, lens, focal_mm, fnumber, exposure_s, iso,
			lat, lon, orientation, exif_warning, scan_gen, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, args...)
		if err != nil {
			return fmt.Errorf("insert photo %s: %w", p.Path, err)
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert photo %s: %w", p.Path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM failures WHERE path = ?", p.Path); err != nil {
		return fmt.Errorf("clear failure of %s: %w", p.Path, err)
	}
	p.UpdatedAt = time.Unix(now, 0)
	return nil
}

// MarkSeen records that scan generation gen found the photo unchanged.
func (c *Catalog) MarkSeen(ctx context.Context, ids []int64, gen int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "UPDATE photos SET scan_gen = ? WHERE id = ?")
		if err != nil {
			return fmt.Errorf("prepare mark seen: %w", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, gen, id); err != nil {
				return fmt.Errorf("mark photo %d seen: %w", id, err)
			}
		}
		return nil
	})
}

// Unseen returns the photos under folder root that scan generation gen did
// not see: they have left the disk.
func (c *Catalog) Unseen(ctx context.Context, root string, gen int64) ([]Photo, error) {
	where, args := whereClause(facet.Filter{Folder: root})
	rows, err := c.db.QueryContext(ctx, "SELECT "+photoColumns+" FROM photos"+where+" AND scan_gen < ?", append(args, gen)...)
	if err != nil {
		return nil, fmt.Errorf("unseen photos under %s: %w", root, err)
	}
	return collectPhotos(rows)
}

// DeletePhotos removes photos from the catalog. Embeddings stay (keyed by
// content) until PruneEmbeddings drops the ones no photo uses.
func (c *Catalog) DeletePhotos(ctx context.Context, ids []int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "DELETE FROM photos WHERE id = ?", id); err != nil {
				return fmt.Errorf("delete photo %d: %w", id, err)
			}
		}
		return nil
	})
}

// PruneEmbeddings deletes embeddings that no catalogued photo references.
func (c *Catalog) PruneEmbeddings(ctx context.Context) (int64, error) {
	res, err := c.db.ExecContext(ctx, "DELETE FROM embeddings WHERE hash NOT IN (SELECT hash FROM photos)")
	if err != nil {
		return 0, fmt.Errorf("prune embeddings: %w", err)
	}
	return res.RowsAffected()
}

func (c *Catalog) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
