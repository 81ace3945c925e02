package milvus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestComposeFile checks the docker-compose.yml users start Milvus with:
// no Docker engine runs here, so this is what can be checked: it parses,
// runs Milvus 2.5 with its etcd and MinIO, waits for their health checks,
// keeps data in volumes under one data folder and publishes the gRPC port
// Simili's default address uses.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Image       string
		Ports       []string
		Volumes     []string
		Healthcheck struct{ Test []string }
		DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
	}
	var compose struct{ Services map[string]service }
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"etcd", "minio", "standalone"} {
		s, ok := compose.Services[name]
		if !ok {
			t.Fatalf("no %s service", name)
		}
		if len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
		if len(s.Volumes) == 0 || !strings.HasPrefix(s.Volumes[0], "${SIMILI_MILVUS_DATA:-./milvus-data}/") {
			t.Errorf("%s volumes %v: want them under the data folder", name, s.Volumes)
		}
	}
	m := compose.Services["standalone"]
	if !strings.HasPrefix(m.Image, "milvusdb/milvus:v2.5.") {
		t.Errorf("Milvus image %q, want 2.5.x", m.Image)
	}
	if !strings.Contains(strings.Join(m.Ports, " "), ":19530:19530") {
		t.Errorf("ports %v do not publish 19530", m.Ports)
	}
	for _, dep := range []string{"etcd", "minio"} {
		if m.DependsOn[dep].Condition != "service_healthy" {
			t.Errorf("Milvus does not wait for a healthy %s", dep)
		}
	}
}
