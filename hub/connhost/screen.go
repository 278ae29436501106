package connhost

import (
	"fmt"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// screen keeps what a connector returned off the bus unless it is valid
// canonical data (DESIGN.md §3.4 and §3.5): every record is validated, card
// data included, before it is published, because whatever reaches the bus is
// written to the database. Records that fail become rejects, which name the
// record and the problems but never carry the record itself; connector
// rejects lose their raw bytes if those hold anything like a card number.
func screen(source string, recs []canonical.Record, rejects []sdk.Reject) ([]canonical.Record, []sdk.Reject) {
	ok := recs[:0:0]
	for _, r := range recs {
		r.Source = source
		if err := r.Validate(); err != nil {
			rejects = append(rejects, sdk.Reject{
				Location: fmt.Sprintf("%s %s %s", source, r.Kind, r.ExternalID),
				Message:  err.Error(),
			})
			continue
		}
		ok = append(ok, r)
	}
	out := make([]sdk.Reject, 0, len(rejects))
	for _, rj := range rejects {
		if len(rj.Raw) > 0 && canonical.CheckNoCardData(string(rj.Raw)) != nil {
			rj.Raw = nil
			rj.Message += " (raw row withheld: it holds what looks like card data)"
		}
		out = append(out, rj)
	}
	return ok, out
}
