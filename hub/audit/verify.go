package audit

import (
	"context"
	"fmt"
)

// Report is the outcome of Verify.
type Report struct {
	// Entries is how many entries were checked (up to the first break).
	Entries int64 `json:"entries"`
	// LastID and LastHash are the chain head Verify checked against.
	LastID   int64  `json:"last_id"`
	LastHash string `json:"last_hash"`
	// Broken is the first broken link; nil when the chain is intact.
	Broken *Break `json:"broken,omitempty"`
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.Broken == nil }

// The checks a Break can fail.
const (
	// CheckMissing: an entry is gone (ids must run 1, 2, 3 ... up to the head).
	CheckMissing = "missing"
	// CheckPrevHash: an entry's PrevHash is not the previous entry's Hash.
	CheckPrevHash = "prev_hash"
	// CheckHash: an entry's content no longer matches its Hash.
	CheckHash = "hash"
	// CheckHead: the last entry is not the one the chain head records.
	CheckHead = "head"
)

// Break is the first broken link of the chain.
type Break struct {
	// ID is the entry at which the chain breaks.
	ID int64 `json:"id"`
	// Check is which check failed: CheckMissing, CheckPrevHash, CheckHash, CheckHead.
	Check string `json:"check"`
	// Stored is what the database holds and Want what the chain requires there
	// (hashes, or ids for CheckMissing).
	Stored string `json:"stored"`
	Want   string `json:"want"`
	// Message says what differs, for people.
	Message string `json:"message"`
}

func (b *Break) String() string { return fmt.Sprintf("entry %d: %s", b.ID, b.Message) }

// Verify recomputes the chain from entry 1 to the chain head and reports the
// first broken link. It reads without locking writers out: it checks the
// entries up to the head it read first, which later appends do not change. An
// error means the log could not be read, not that it is broken.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	var rep Report
	q := l.db.Dialect.Rebind
	if err := l.db.QueryRowContext(ctx, q(`SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1`)).Scan(&rep.LastID, &rep.LastHash); err != nil {
		return rep, fmt.Errorf("audit verify: read chain head: %w", err)
	}
	rows, err := l.db.QueryContext(ctx, q(selectColumns+` WHERE id <= ? ORDER BY id`), rep.LastID)
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	var prev row // id 0, hash "": what entry 1 links to
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return rep, fmt.Errorf("audit verify: %w", err)
		}
		if b := checkLink(prev, r); b != nil {
			rep.Broken = b
			return rep, nil
		}
		rep.Entries++
		prev = r
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	switch {
	case prev.id != rep.LastID:
		rep.Broken = &Break{ID: prev.id + 1, Check: CheckMissing, Stored: "none", Want: fmt.Sprint(prev.id + 1),
			Message: fmt.Sprintf("entries %d to %d are missing: the chain head records %d entries but the log ends at %d", prev.id+1, rep.LastID, rep.LastID, prev.id)}
	case prev.hash != rep.LastHash:
		rep.Broken = &Break{ID: prev.id, Check: CheckHead, Stored: prev.hash, Want: rep.LastHash,
			Message: fmt.Sprintf("hash %s is not the hash the chain head recorded for it (%s): the entry was replaced", short(prev.hash), short(rep.LastHash))}
	}
	return rep, nil
}

// checkLink checks r against the entry before it.
func checkLink(prev, r row) *Break {
	if want := prev.id + 1; r.id != want {
		return &Break{ID: want, Check: CheckMissing, Stored: fmt.Sprint(r.id), Want: fmt.Sprint(want),
			Message: fmt.Sprintf("entry %d is missing: entry %d follows entry %d", want, r.id, prev.id)}
	}
	if r.prevHash != prev.hash {
		msg := fmt.Sprintf("prev_hash %s does not match the hash of entry %d (%s): entry %d was changed or replaced", short(r.prevHash), prev.id, short(prev.hash), prev.id)
		if prev.id == 0 {
			msg = fmt.Sprintf("prev_hash of the first entry must be empty, found %s", short(r.prevHash))
		}
		return &Break{ID: r.id, Check: CheckPrevHash, Stored: r.prevHash, Want: prev.hash, Message: msg}
	}
	if got := r.computeHash(); got != r.hash {
		return &Break{ID: r.id, Check: CheckHash, Stored: r.hash, Want: got,
			Message: fmt.Sprintf("content does not match its hash (stored %s, recomputed %s): a field (at, actor, action, subject, before, after, remote address) was changed after it was written", short(r.hash), short(got))}
	}
	return nil
}

func short(h string) string {
	if h == "" {
		return `""`
	}
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
