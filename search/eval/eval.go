// Package eval measures retrieval quality: leave-one-out queries over a
// folder whose photos are labelled with groups (photos of the same scene).
package eval

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Groups maps a file name (relative to the folder) to its group label.
type Groups map[string]string

// ReadGroups reads a `file,group` CSV (a header line is allowed).
func ReadGroups(path string) (Groups, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ground truth: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	g := Groups{}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s line %d: want file,group", path, line)
		}
		file, group := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if line == 1 && strings.EqualFold(file, "file") {
			continue
		}
		g[filepath.ToSlash(file)] = group
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("%s: no entries", path)
	}
	return g, nil
}

// Ranker returns the names of all other photos ranked by similarity to the
// query photo, best first (the query itself left out).
type Ranker func(ctx context.Context, query string) ([]string, error)

// Report is the outcome of an evaluation.
type Report struct {
	Queries  int     `json:"queries"`
	Top1     float64 `json:"top1"` // share of queries whose first hit is relevant
	MAP      float64 `json:"map"`  // mean average precision
	Recall1  float64 `json:"recall_at_1"`
	Recall5  float64 `json:"recall_at_5"`
	Recall10 float64 `json:"recall_at_10"`
}

// Run evaluates every photo whose group has a partner as a query against all
// others. Recall@k is the share of a query's relevant photos found in its
// top k, averaged over queries.
func Run(ctx context.Context, g Groups, rank Ranker) (Report, error) {
	members := map[string][]string{}
	for f, grp := range g {
		members[grp] = append(members[grp], f)
	}
	var rep Report
	var sumAP, sumTop1, sumR1, sumR5, sumR10 float64
	for q, grp := range g {
		if len(members[grp]) < 2 {
			continue
		}
		ranked, err := rank(ctx, q)
		if err != nil {
			return Report{}, fmt.Errorf("query %s: %w", q, err)
		}
		relevant := len(members[grp]) - 1
		var hits int
		var ap float64
		var r1, r5, r10 int
		for i, name := range ranked {
			if name == q {
				return Report{}, fmt.Errorf("query %s: the ranking contains the query itself", q)
			}
			if g[name] != grp {
				continue
			}
			hits++
			ap += float64(hits) / float64(i+1)
			if i < 1 {
				r1++
			}
			if i < 5 {
				r5++
			}
			if i < 10 {
				r10++
			}
		}
		if len(ranked) > 0 && g[ranked[0]] == grp {
			sumTop1++
		}
		sumAP += ap / float64(relevant)
		sumR1 += float64(r1) / float64(relevant)
		sumR5 += float64(r5) / float64(relevant)
		sumR10 += float64(r10) / float64(relevant)
		rep.Queries++
	}
	if rep.Queries == 0 {
		return Report{}, errors.New("no query has a partner in its group")
	}
	n := float64(rep.Queries)
	rep.MAP, rep.Top1 = sumAP/n, sumTop1/n
	rep.Recall1, rep.Recall5, rep.Recall10 = sumR1/n, sumR5/n, sumR10/n
	return rep, nil
}
