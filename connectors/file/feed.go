package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// position is the file connector's cursor: the next row to read is in File at
// byte Offset, which is on line Line+1.
type position struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Line   int    `json:"line"`
}

func (p position) encode() []byte {
	b, _ := json.Marshal(p)
	return b
}

func decodePosition(b []byte) (position, error) {
	var p position
	if len(b) == 0 {
		return p, nil
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("file: bad cursor %q: %w", b, err)
	}
	return p, nil
}

// row is one data row of a feed, its cells by header.
type row struct {
	file  string
	line  int
	cells map[string]cell
	raw   []byte
	end   position // the cursor after this row
	mtime time.Time
}

type cell struct {
	value string
	col   int // 1-based column; 0 when unknown (JSON)
}

// fieldError is a problem with one field of a row.
type fieldError struct {
	field, header string
	col           int
	msg           string
}

func (e *fieldError) Error() string { return e.msg }

// reject locates a problem precisely: "orders.csv:12:4 (quantity): msg".
func (r *row) reject(err error) sdk.Reject {
	loc := fmt.Sprintf("%s:%d", r.file, r.line)
	var fe *fieldError
	if errors.As(err, &fe) {
		if fe.col > 0 {
			loc += fmt.Sprintf(":%d", fe.col)
		}
		name := fe.header
		if name == "" {
			name = fe.field
		}
		if name != "" {
			loc += " (" + name + ")"
		}
	}
	return sdk.Reject{Location: loc, Message: err.Error(), Raw: r.raw}
}

// item is what the feed yields: a row, or a row that could not even be parsed.
type item struct {
	row    *row
	reject *sdk.Reject
	end    position
}

// feedFiles lists the files of dir matching the patterns, in name order.
func feedFiles(dir string, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			return nil, fmt.Errorf("file: pattern %q: %w", p, err)
		}
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() && !seen[f] {
				seen[f] = true
				out = append(out, filepath.Base(f))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func isJSONLines(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".jsonl" || ext == ".ndjson"
}

// scan yields the items of every feed file from pos on, in order.
func scan(ctx context.Context, dir string, files []string, pos position, yield func(item) error) error {
	for _, name := range files {
		if pos.File != "" && name < pos.File {
			continue
		}
		start := position{File: name}
		if name == pos.File {
			start = pos
		}
		var err error
		if isJSONLines(name) {
			err = scanJSONLines(ctx, dir, start, yield)
		} else {
			err = scanCSV(ctx, dir, start, yield)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func scanCSV(ctx context.Context, dir string, start position, yield func(item) error) error {
	path := filepath.Join(dir, start.File)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	hr := csv.NewReader(bufio.NewReader(f))
	hr.FieldsPerRecord = -1
	header, err := hr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("file: %s: header: %w", start.File, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	offset, line := start.Offset, start.Line
	if headerEnd := hr.InputOffset(); offset < headerEnd {
		offset, line = headerEnd, 1
	}
	if offset > st.Size() {
		return fmt.Errorf("file: %s: cursor offset %d is past the end (%d bytes): was the file replaced?", start.File, offset, st.Size())
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Errorf("file: %w", err)
	}
	br := bufio.NewReader(f)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		relLine, _ := cr.FieldPos(0)
		end := position{File: start.File, Offset: offset + cr.InputOffset()}
		if err != nil {
			var pe *csv.ParseError
			l, c := line+1, 0
			if errors.As(err, &pe) {
				l, c = line+pe.StartLine, pe.Column
			}
			end.Line = line + lineOf(err, relLine)
			rj := sdk.Reject{Location: fmt.Sprintf("%s:%d:%d", start.File, l, c), Message: err.Error()}
			if err := yield(item{reject: &rj, end: end}); err != nil {
				return err
			}
			continue
		}
		lastLine, _ := cr.FieldPos(len(rec) - 1)
		end.Line = line + lastLine + strings.Count(rec[len(rec)-1], "\n")
		r := &row{file: start.File, line: line + relLine, cells: make(map[string]cell, len(header)), end: end, mtime: st.ModTime()}
		r.raw = []byte(strings.Join(rec, ","))
		if len(rec) != len(header) {
			rj := sdk.Reject{Location: fmt.Sprintf("%s:%d", start.File, r.line), Message: fmt.Sprintf("row has %d fields, the header has %d", len(rec), len(header)), Raw: r.raw}
			if err := yield(item{reject: &rj, end: end}); err != nil {
				return err
			}
			continue
		}
		for i, h := range header {
			r.cells[h] = cell{value: strings.TrimSpace(rec[i]), col: i + 1}
		}
		if err := yield(item{row: r, end: end}); err != nil {
			return err
		}
	}
}

func lineOf(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return fallback
}

func scanJSONLines(ctx context.Context, dir string, start position, yield func(item) error) error {
	path := filepath.Join(dir, start.File)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	if start.Offset > st.Size() {
		return fmt.Errorf("file: %s: cursor offset %d is past the end (%d bytes): was the file replaced?", start.File, start.Offset, st.Size())
	}
	if _, err := f.Seek(start.Offset, io.SeekStart); err != nil {
		return fmt.Errorf("file: %w", err)
	}
	br := bufio.NewReader(f)
	offset, line := start.Offset, start.Line
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without its newline is either complete (many files
			// end so) or still being written. A complete JSON object is read;
			// anything else is left for the next read, when more has arrived.
			if len(bytes.TrimSpace(b)) == 0 || !json.Valid(bytes.TrimSpace(b)) {
				return nil
			}
		} else if err != nil {
			return fmt.Errorf("file: %s: %w", start.File, err)
		}
		offset += int64(len(b))
		line++
		end := position{File: start.File, Offset: offset, Line: line}
		text := bytes.TrimSpace(b)
		if len(text) == 0 {
			continue
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			col := 0
			var se *json.SyntaxError
			if errors.As(err, &se) {
				col = int(se.Offset)
			}
			rj := sdk.Reject{Location: fmt.Sprintf("%s:%d:%d", start.File, line, col), Message: "invalid JSON: " + err.Error(), Raw: append([]byte(nil), text...)}
			if err := yield(item{reject: &rj, end: end}); err != nil {
				return err
			}
			continue
		}
		r := &row{file: start.File, line: line, cells: make(map[string]cell, len(obj)), raw: append([]byte(nil), text...), end: end, mtime: st.ModTime()}
		for k, v := range obj {
			var s string
			switch v := v.(type) {
			case nil:
			case string:
				s = v
			case json.Number:
				s = v.String()
			case bool:
				s = fmt.Sprint(v)
			default:
				j, _ := json.Marshal(v)
				s = string(j)
			}
			r.cells[k] = cell{value: strings.TrimSpace(s)}
		}
		if err := yield(item{row: r, end: end}); err != nil {
			return err
		}
	}
}

// builder turns the rows of one group into a record.
type builder struct {
	// key groups consecutive rows into one record; "" never groups.
	key func(r *row) string
	// build maps a group of rows; a row error rejects the whole group.
	build func(rows []*row) (canonical.Record, error)
}

// readStream reads a stream from a cursor and emits batches of at most size
// records and rejects, each with the cursor after its last row.
func readStream(ctx context.Context, dir string, files []string, cursor []byte, size int, b builder, emit func(sdk.Batch) error) error {
	pos, err := decodePosition(cursor)
	if err != nil {
		return err
	}
	var (
		batch   sdk.Batch
		group   []*row
		key     string
		pending int
	)
	flushBatch := func() error {
		if pending == 0 {
			return nil
		}
		err := emit(batch)
		batch, pending = sdk.Batch{}, 0
		return err
	}
	add := func(rec *canonical.Record, rj *sdk.Reject, end position) error {
		if rec != nil {
			batch.Records = append(batch.Records, *rec)
		}
		if rj != nil {
			batch.Rejects = append(batch.Rejects, *rj)
		}
		batch.Cursor = end.encode()
		pending++
		if pending >= size {
			return flushBatch()
		}
		return nil
	}
	flushGroup := func() error {
		if len(group) == 0 {
			return nil
		}
		rows := group
		group, key = nil, ""
		rec, err := b.build(rows)
		last := rows[len(rows)-1].end
		if err != nil {
			bad := rows[0]
			var re *rowErr
			if errors.As(err, &re) {
				bad = re.row
			}
			rj := bad.reject(err)
			return add(nil, &rj, last)
		}
		return add(&rec, nil, last)
	}
	currentFile := ""
	err = scan(ctx, dir, files, pos, func(it item) error {
		if it.end.File != currentFile {
			if err := flushGroup(); err != nil {
				return err
			}
			currentFile = it.end.File
		}
		if it.reject != nil {
			if err := flushGroup(); err != nil {
				return err
			}
			return add(nil, it.reject, it.end)
		}
		k := b.key(it.row)
		if len(group) > 0 && (k == "" || k != key) {
			if err := flushGroup(); err != nil {
				return err
			}
		}
		group = append(group, it.row)
		key = k
		return nil
	})
	if err != nil {
		return err
	}
	if err := flushGroup(); err != nil {
		return err
	}
	return flushBatch()
}

// rowErr is a mapping error of one row of a group.
type rowErr struct {
	row *row
	err error
}

func (e *rowErr) Error() string { return e.err.Error() }
func (e *rowErr) Unwrap() error { return e.err }
