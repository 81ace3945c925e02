package engine

// This file moves catalogued photos to the desktop trash (library/trash,
// the freedesktop.org layout any file manager restores from) and back, and
// keeps the catalog and the vector store in step: a trashed photo leaves
// both, a restored one returns with the embedding the catalog kept by
// content hash, so Undo runs no model.

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/trash"
)

// TrashedPhoto is one photo MoveToTrash moved: its catalog row as it was
// and where the file went. RestoreFromTrash needs nothing else.
type TrashedPhoto struct {
	Photo catalog.Photo
	Item  trash.Item
}

// TrashFailure is a photo that was not moved, and why. Its file and its
// catalog row are as they were.
type TrashFailure struct {
	Photo catalog.Photo
	Err   error
}

// TrashResult says what MoveToTrash did.
type TrashResult struct {
	Moved  []TrashedPhoto
	Failed []TrashFailure
	Bytes  int64 // total size of the moved files
}

// newTrash returns the user's trash ($XDG_DATA_HOME/Trash and the volumes'
// trashes); it holds no state.
func newTrash() *trash.Trash { return trash.New(trash.Options{}) }

// MoveToTrash moves the files of the photos ids to the trash, then removes
// them from the catalog and the vector store. A file that changed since it
// was catalogued (size or modification time), is missing, or cannot be
// renamed into its trash is left alone and reported in Failed; the others
// still go. Thumbnails stay in the cache so that Undo shows them at once.
// The error is for the catalog or the store; when the catalog cannot
// follow, the moved files are put back.
func (e *Engine) MoveToTrash(ctx context.Context, ids []int64) (TrashResult, error) {
	var res TrashResult
	photos, err := e.cat.Photos(ctx, ids)
	if err != nil {
		return res, err
	}
	byID := make(map[int64]catalog.Photo, len(photos))
	for _, p := range photos {
		byID[p.ID] = p
	}
	tr := newTrash()
	for _, id := range ids {
		p, ok := byID[id]
		if !ok {
			res.Failed = append(res.Failed, TrashFailure{Photo: catalog.Photo{ID: id}, Err: fmt.Errorf("photo %d is not in the catalog", id)})
			continue
		}
		if err := ctx.Err(); err != nil {
			res.Failed = append(res.Failed, TrashFailure{Photo: p, Err: err})
			continue
		}
		if err := unchanged(p); err != nil {
			res.Failed = append(res.Failed, TrashFailure{Photo: p, Err: err})
			continue
		}
		it, err := tr.Move(p.Path)
		if err != nil {
			res.Failed = append(res.Failed, TrashFailure{Photo: p, Err: err})
			continue
		}
		delete(byID, id) // a repeated id is moved once
		res.Moved = append(res.Moved, TrashedPhoto{Photo: p, Item: it})
		res.Bytes += it.Size
	}
	if len(res.Moved) == 0 {
		return res, nil
	}
	moved := make([]int64, len(res.Moved))
	for i, m := range res.Moved {
		moved[i] = m.Photo.ID
	}
	// Not cancellable from here on: the files are in the trash, so the
	// catalog must follow (or the files go back).
	bg := context.WithoutCancel(ctx)
	if err := e.cat.DeletePhotos(bg, moved); err != nil {
		for _, m := range res.Moved {
			if rerr := tr.Restore(m.Item); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return TrashResult{Failed: res.Failed}, fmt.Errorf("remove trashed photos from the catalog (files put back): %w", err)
	}
	// An unreachable store keeps the deletions pending for the next sync.
	if err := e.syncer().Delete(bg, moved); err != nil && !isUnavailable(err) {
		return res, fmt.Errorf("remove trashed photos from the vector store: %w", err)
	}
	e.log.Info("moved photos to the trash", "count", len(res.Moved), "bytes", res.Bytes, "failed", len(res.Failed))
	return res, nil
}

// unchanged refuses a photo whose file is not the one catalogued: the user
// chose it from what the catalog showed.
func unchanged(p catalog.Photo) error {
	st, err := os.Lstat(p.Path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is no longer a regular file", p.Path)
	}
	if st.Size() != p.Size || !st.ModTime().Equal(p.ModTime) {
		return fmt.Errorf("%s changed since it was catalogued (rescan first)", p.Path)
	}
	return nil
}

// RestoreResult says what RestoreFromTrash did.
type RestoreResult struct {
	Restored []catalog.Photo // as catalogued again (new ids)
	Failed   []TrashFailure
	// NotEmbedded counts restored photos whose embedding the catalog no
	// longer held; the next scan embeds them.
	NotEmbedded int
}

// RestoreFromTrash puts trashed photos back where they were and catalogues
// them again with their stored EXIF and embeddings, sending the vectors to
// the store: no file is read and no model runs. A photo whose place is now
// taken by another file stays in the trash and is reported in Failed.
func (e *Engine) RestoreFromTrash(ctx context.Context, items []TrashedPhoto) (RestoreResult, error) {
	var res RestoreResult
	tr := newTrash()
	var gen int64
	if last, ok, err := e.cat.LastScan(ctx); err == nil && ok {
		gen = last.ID
	}
	model := e.VectorModel().Name
	sy := e.syncer()
	bg := context.WithoutCancel(ctx)
	var firstErr error
	for _, it := range items {
		if err := tr.Restore(it.Item); err != nil {
			res.Failed = append(res.Failed, TrashFailure{Photo: it.Photo, Err: err})
			continue
		}
		// From here the file is back on disk: catalogue it even if ctx is
		// cancelled, or the grid would miss a photo that exists.
		p := it.Photo
		p.ID = 0 // the old row is gone: insert (PutPhoto finds a row of the same path if a scan re-added it)
		if err := e.cat.PutPhoto(bg, &p, gen); err != nil {
			firstErr = keepFirst(firstErr, fmt.Errorf("catalogue restored %s (the next scan will): %w", p.Path, err))
			continue
		}
		res.Restored = append(res.Restored, p)
		vec, ok, err := e.cat.Embedding(bg, p.Hash, model)
		if err != nil {
			firstErr = keepFirst(firstErr, err)
			continue
		}
		if !ok {
			res.NotEmbedded++
			continue
		}
		if err := sy.Upsert(bg, p.ID, vec, p.VectorMeta()); err != nil {
			firstErr = keepFirst(firstErr, err)
		}
	}
	if err := sy.Flush(bg); err != nil && !isUnavailable(err) {
		firstErr = keepFirst(firstErr, fmt.Errorf("send restored photos to the vector store: %w", err))
	}
	e.log.Info("restored photos from the trash", "count", len(res.Restored), "failed", len(res.Failed), "not_embedded", res.NotEmbedded)
	return res, firstErr
}

func keepFirst(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
