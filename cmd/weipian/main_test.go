package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestDetectCommand(t *testing.T) {
	out := t.TempDir()
	msg, err := runCLI(t, "detect", "--before", "../../testdata/juelich/LS20010525.tif",
		"--after", "../../testdata/juelich/LS20010626.tif", "--out", out, "--log-level", "warn")
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if !strings.Contains(msg, "patches") || !strings.Contains(msg, out) {
		t.Errorf("output does not say where the results are: %q", msg)
	}
	for _, f := range []string{"patches.geojson", "patches.gpkg", "summary.json", "timings.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	// CGCS2000 by default (issue 13); --crs 4326 is plain RFC 7946.
	if b, _ := os.ReadFile(filepath.Join(out, "patches.geojson")); !bytes.Contains(b[:min(len(b), 300)], []byte(`"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}}`)) {
		t.Errorf("patches.geojson does not declare EPSG:4490: %.300s", b)
	}
	wgs := t.TempDir()
	if msg, err := runCLI(t, "detect", "--before", "../../testdata/juelich/LS20010525.tif", "--after", "../../testdata/juelich/LS20010626.tif",
		"--out", wgs, "--crs", "wgs84", "--log-level", "warn"); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if b, _ := os.ReadFile(filepath.Join(wgs, "patches.geojson")); bytes.Contains(b, []byte(`"crs"`)) {
		t.Error("--crs wgs84 wrote a crs member")
	}
	// gk: Jülich (6.4°E) lies in no Gauss-Krüger zone of China.
	if _, err := runCLI(t, "detect", "--before", "../../testdata/juelich/LS20010525.tif", "--after", "../../testdata/juelich/LS20010626.tif",
		"--out", t.TempDir(), "--crs", "gk", "--log-level", "warn"); err == nil || !strings.Contains(err.Error(), "choose 4490 or a zone") {
		t.Errorf("--crs gk outside China: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"detect", "--before", "a.tif"},
		{"detect", "--before", "a", "--after", "b", "--out", "c", "--mmu-m2", "-1"},
		{"detect", "--no-such-flag"},
		{"detect", "--before", "a", "--after", "b", "--out", "c", "--crs", "EPSG:3857"},
		{"--output-crs", "mercator", "detect", "--before", "a", "--after", "b", "--out", "c"},
		{"eval"},
		{"eval", "--data", "x", "--pixel-size", "0"},
		{"eval", "--data", "x", "--set", "NoSuchParam=1"},
		{"eval", "--data", "x", "--set", "ChangeT"},
		{"eval", "--data", "x", "--set", "ChangeT=-0.1"},
		{"eval", "--data", "x", "--set", "ChangeT=NaN"},
		{"eval", "--data", "x", "--set", "ChangeT=0.2", "--lodo"},
		{"--log-level", "loud", "detect"},
	} {
		_, err := runCLI(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

func TestDetectBadInputNamesFile(t *testing.T) {
	_, err := runCLI(t, "detect", "--before", "missing.tif", "--after", "../../testdata/juelich/LS20010626.tif", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "missing.tif") {
		t.Errorf("got %v, want an error naming missing.tif", err)
	}
}

// TestMain points the default state store and blob directory of every
// command run by a test at a scratch directory, so that no test writes
// weipian.db into the source tree.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "weipian-cmd-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("WEIPIAN_DB", filepath.Join(dir, "weipian.db"))
	os.Setenv("WEIPIAN_DATA", filepath.Join(dir, "weipian-data"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
