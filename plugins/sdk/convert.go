package sdk

import (
	"fmt"
	"net/http"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/crossdockhq/crossdock/canonical"
	pb "github.com/crossdockhq/crossdock/plugins/proto"
)

func specToPB(s Spec) *pb.SpecResponse {
	out := &pb.SpecResponse{
		Name: s.Name, Version: s.Version, Description: s.Description,
		ConfigSchema: s.ConfigSchema, Webhooks: s.Webhooks,
	}
	for _, st := range s.Streams {
		out.Streams = append(out.Streams, &pb.StreamSpec{Name: st.Name, Kind: string(st.Kind), Description: st.Description})
	}
	for _, a := range s.Actions {
		out.Actions = append(out.Actions, string(a))
	}
	for _, r := range s.RateLimits {
		out.RateLimits = append(out.RateLimits, &pb.RateLimit{Name: r.Name, PerSecond: r.PerSecond, Burst: int64(r.Burst), Description: r.Description})
	}
	return out
}

func specFromPB(p *pb.SpecResponse) Spec {
	s := Spec{
		Name: p.GetName(), Version: p.GetVersion(), Description: p.GetDescription(),
		ConfigSchema: p.GetConfigSchema(), Webhooks: p.GetWebhooks(),
	}
	for _, st := range p.GetStreams() {
		s.Streams = append(s.Streams, StreamSpec{Name: st.GetName(), Kind: canonical.Kind(st.GetKind()), Description: st.GetDescription()})
	}
	for _, a := range p.GetActions() {
		s.Actions = append(s.Actions, canonical.Action(a))
	}
	for _, r := range p.GetRateLimits() {
		s.RateLimits = append(s.RateLimits, RateLimit{Name: r.GetName(), PerSecond: r.GetPerSecond(), Burst: int(r.GetBurst()), Description: r.GetDescription()})
	}
	return s
}

func recordsToPB(recs []canonical.Record) []*pb.Record {
	out := make([]*pb.Record, len(recs))
	for i := range recs {
		r := &recs[i]
		var at *timestamppb.Timestamp
		if !r.At.IsZero() {
			at = timestamppb.New(r.At)
		}
		out[i] = &pb.Record{
			Kind: string(r.Kind), Id: r.ID, Source: r.Source, ExternalId: r.ExternalID,
			Version: r.Version, IdempotencyKey: r.IdempotencyKey, At: at, Payload: r.Payload,
		}
	}
	return out
}

func recordsFromPB(recs []*pb.Record) ([]canonical.Record, error) {
	out := make([]canonical.Record, len(recs))
	for i, r := range recs {
		var at time.Time
		if ts := r.GetAt(); ts != nil {
			if err := ts.CheckValid(); err != nil {
				return nil, fmt.Errorf("record %d: at: %w", i, err)
			}
			at = ts.AsTime()
		}
		out[i] = canonical.Record{
			Kind: canonical.Kind(r.GetKind()), ID: r.GetId(), Source: r.GetSource(),
			ExternalID: r.GetExternalId(), Version: r.GetVersion(),
			IdempotencyKey: r.GetIdempotencyKey(), At: at, Payload: r.GetPayload(),
		}
	}
	return out, nil
}

func commandsToPB(cmds []Command) []*pb.Command {
	out := make([]*pb.Command, len(cmds))
	for i, c := range cmds {
		out[i] = &pb.Command{Id: c.ID, Action: string(c.Action), IdempotencyKey: c.IdempotencyKey, Payload: c.Payload}
	}
	return out
}

func commandsFromPB(cmds []*pb.Command) []Command {
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		out[i] = Command{ID: c.GetId(), Action: canonical.Action(c.GetAction()), IdempotencyKey: c.GetIdempotencyKey(), Payload: c.GetPayload()}
	}
	return out
}

var statusToPB = map[Status]pb.Status{StatusOK: pb.Status_STATUS_OK, StatusRetryable: pb.Status_STATUS_RETRYABLE, StatusPermanent: pb.Status_STATUS_PERMANENT}

func resultsToPB(rs []Result) []*pb.Result {
	out := make([]*pb.Result, len(rs))
	for i, r := range rs {
		st, ok := statusToPB[r.Status]
		if !ok {
			st = pb.Status_STATUS_PERMANENT
		}
		out[i] = &pb.Result{CommandId: r.CommandID, Status: st, ExternalId: r.ExternalID, Error: r.Error, RetryAfterMs: r.RetryAfter.Milliseconds()}
	}
	return out
}

func resultsFromPB(rs []*pb.Result) []Result {
	out := make([]Result, len(rs))
	for i, r := range rs {
		var st Status
		switch r.GetStatus() {
		case pb.Status_STATUS_OK:
			st = StatusOK
		case pb.Status_STATUS_RETRYABLE:
			st = StatusRetryable
		default:
			st = StatusPermanent
		}
		out[i] = Result{CommandID: r.GetCommandId(), Status: st, ExternalID: r.GetExternalId(), Error: r.GetError(), RetryAfter: time.Duration(r.GetRetryAfterMs()) * time.Millisecond}
	}
	return out
}

func headersToPB(h http.Header) []*pb.Header {
	out := make([]*pb.Header, 0, len(h))
	for k, v := range h {
		out = append(out, &pb.Header{Name: k, Values: v})
	}
	return out
}

func headersFromPB(hs []*pb.Header) http.Header {
	h := make(http.Header, len(hs))
	for _, x := range hs {
		for _, v := range x.GetValues() {
			h.Add(x.GetName(), v)
		}
	}
	return h
}

func rejectsToPB(rs []Reject) []*pb.Reject {
	if len(rs) == 0 {
		return nil
	}
	out := make([]*pb.Reject, len(rs))
	for i, r := range rs {
		out[i] = &pb.Reject{Location: r.Location, Message: r.Message, Raw: r.Raw}
	}
	return out
}

func rejectsFromPB(rs []*pb.Reject) []Reject {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Reject, len(rs))
	for i, r := range rs {
		out[i] = Reject{Location: r.GetLocation(), Message: r.GetMessage(), Raw: r.GetRaw()}
	}
	return out
}
