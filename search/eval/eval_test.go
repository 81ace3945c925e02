package eval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestRunComputesStandardMeasures(t *testing.T) {
	g := Groups{"a1": "a", "a2": "a", "a3": "a", "b1": "b", "b2": "b", "x": "x"}
	rankings := map[string][]string{
		"a1": {"a2", "b1", "a3", "x", "b2"}, // AP = (1/1 + 2/3)/2
		"a2": {"a1", "a3", "b1", "x", "b2"}, // AP = 1
		"a3": {"b1", "a1", "x", "a2", "b2"}, // AP = (1/2 + 2/4)/2
		"b1": {"b2", "a1", "a2", "a3", "x"}, // AP = 1
		"b2": {"a1", "a2", "a3", "x", "b1"}, // AP = 1/5
	}
	rep, err := Run(context.Background(), g, func(_ context.Context, q string) ([]string, error) {
		if q == "x" {
			t.Fatal("a singleton was used as a query")
		}
		return rankings[q], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantMAP := ((1+2.0/3)/2 + 1 + (0.5+0.5)/2 + 1 + 0.2) / 5
	if rep.Queries != 5 || math.Abs(rep.MAP-wantMAP) > 1e-12 {
		t.Fatalf("queries=%d mAP=%v; want 5, %v", rep.Queries, rep.MAP, wantMAP)
	}
	if math.Abs(rep.Top1-3.0/5) > 1e-12 {
		t.Fatalf("top1 = %v, want 0.6", rep.Top1)
	}
	// recall@1: a1 1/2, a2 1/2, a3 0, b1 1, b2 0
	if math.Abs(rep.Recall1-(0.5+0.5+0+1+0)/5) > 1e-12 {
		t.Fatalf("recall@1 = %v", rep.Recall1)
	}
	if rep.Recall5 != 1 || rep.Recall10 != 1 {
		t.Fatalf("recall@5 = %v, recall@10 = %v; want 1", rep.Recall5, rep.Recall10)
	}
}

func TestRunRejectsRankingsWithTheQuery(t *testing.T) {
	g := Groups{"a": "g", "b": "g"}
	_, err := Run(context.Background(), g, func(_ context.Context, q string) ([]string, error) {
		return []string{q}, nil
	})
	if err == nil {
		t.Fatal("a ranking holding the query itself was accepted")
	}
}

func TestReadGroups(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		want    int
		wantErr bool
	}{
		{"header", "file,group\n1.jpg,1\n2.jpg,1\n", 2, false},
		{"no header", "1.jpg,1\n2.jpg,2\n", 2, false},
		{"empty", "file,group\n", 0, true},
		{"short line", "1.jpg\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "groups.csv")
			os.WriteFile(path, []byte(tt.csv), 0o644)
			g, err := ReadGroups(path)
			if (err != nil) != tt.wantErr || len(g) != tt.want {
				t.Fatalf("ReadGroups = %v, %v; want %d entries, error %v", g, err, tt.want, tt.wantErr)
			}
		})
	}
}
