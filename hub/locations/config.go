package locations

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Section is the hub.yaml `locations` section: the path of a CSV file
// (relative to the hub.yaml) or a list of locations.
//
//	locations: locations.csv
//	locations:
//	  - { id: wh-east, name: East DC, type: warehouse, postal_code: "08817", country: US,
//	      capabilities: [ship, returns], groups: [us, dc], daily_capacity: 500 }
type Section struct {
	// File is the CSV path when the section is a string.
	File string
	// List is the locations when the section is a list.
	List []Config
}

// DecodeYAML implements yamlconf.Unmarshaler: a string or a list.
func (s *Section) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		s.File = n.Value
	case yaml.SequenceNode:
		d.Decode(n, &s.List)
	default:
		d.Errorf(n, "locations must be a CSV file path or a list of locations")
	}
}

// Config is one location in the config file.
type Config struct {
	ID            string   `yaml:"id" required:"true"`
	Name          string   `yaml:"name" required:"true"`
	Type          string   `yaml:"type" required:"true"`
	Line1         string   `yaml:"line1"`
	Line2         string   `yaml:"line2"`
	City          string   `yaml:"city"`
	Region        string   `yaml:"region"`
	PostalCode    string   `yaml:"postal_code"`
	Country       string   `yaml:"country"`
	Lat           *float64 `yaml:"lat"`
	Lng           *float64 `yaml:"lng"`
	Capabilities  []string `yaml:"capabilities"`
	Groups        []string `yaml:"groups"`
	Tags          []string `yaml:"tags"`
	Priority      int      `yaml:"priority"`
	DailyCapacity int      `yaml:"daily_capacity"`
	// Active defaults to true.
	Active *bool `yaml:"active"`
}

// Location turns a config entry into a canonical location.
func (c Config) Location() canonical.Location {
	l := canonical.Location{ID: c.ID, Name: c.Name, Type: canonical.LocationType(c.Type),
		Address: canonical.Address{Name: c.Name, Line1: c.Line1, Line2: c.Line2, City: c.City, Region: c.Region,
			PostalCode: c.PostalCode, Country: strings.ToUpper(c.Country)},
		Groups: c.Groups, Tags: c.Tags, Priority: c.Priority, DailyCapacity: c.DailyCapacity, Active: c.Active == nil || *c.Active}
	if c.Lat != nil && c.Lng != nil {
		l.Geo = &canonical.GeoPoint{Lat: *c.Lat, Lng: *c.Lng}
	}
	for _, cp := range c.Capabilities {
		l.Capabilities = append(l.Capabilities, canonical.Capability(cp))
	}
	return l
}

// Locations returns the section's locations, reading the CSV file (relative to
// baseDir) when the section names one. Each location is validated.
func (s Section) Locations(baseDir string) ([]canonical.Location, error) {
	var out []canonical.Location
	if s.File != "" {
		path := s.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("locations: %w", err)
		}
		defer f.Close()
		out, err = ParseCSV(f)
		if err != nil {
			return nil, fmt.Errorf("locations %s: %w", path, err)
		}
	}
	for _, c := range s.List {
		out = append(out, c.Location())
	}
	for _, l := range out {
		if err := Validate(l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CSVColumns are the columns ParseCSV understands (header names, any order);
// id, name and type are required. List columns (capabilities, groups, tags)
// separate values with ";".
var CSVColumns = []string{"id", "name", "type", "line1", "line2", "city", "region", "postal_code", "country",
	"lat", "lng", "capabilities", "groups", "tags", "priority", "daily_capacity", "active"}

// ParseCSV reads locations from a CSV file with a header row.
func ParseCSV(r io.Reader) ([]canonical.Location, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range CSVColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("line 1: unknown column %q (known: %s)", h, strings.Join(CSVColumns, ", "))
		}
		col[h] = i
	}
	for _, req := range []string{"id", "name", "type"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("line 1: column %q is required", req)
		}
	}
	var out []canonical.Location
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		list := func(name string) []string {
			v := get(name)
			if v == "" {
				return nil
			}
			parts := strings.Split(v, ";")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts
		}
		c := Config{ID: get("id"), Name: get("name"), Type: get("type"), Line1: get("line1"), Line2: get("line2"), City: get("city"),
			Region: get("region"), PostalCode: get("postal_code"), Country: get("country"), Capabilities: list("capabilities"),
			Groups: list("groups"), Tags: list("tags")}
		if v := get("lat"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: lat %q is not a number", line, v)
			}
			c.Lat = &f
		}
		if v := get("lng"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: lng %q is not a number", line, v)
			}
			c.Lng = &f
		}
		for name, dst := range map[string]*int{"priority": &c.Priority, "daily_capacity": &c.DailyCapacity} {
			if v := get(name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("line %d: %s %q is not a whole number", line, name, v)
				}
				*dst = n
			}
		}
		if v := get("active"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: active %q is not true or false", line, v)
			}
			c.Active = &b
		}
		l := c.Location()
		if err := Validate(l); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, l)
	}
	return out, nil
}
