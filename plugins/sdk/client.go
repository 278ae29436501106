package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/crossdockhq/crossdock/canonical"
	pb "github.com/crossdockhq/crossdock/plugins/proto"
)

// RPCClient is the host side of the protocol: it speaks to a connector over gRPC
// and implements the same interfaces a connector does (Connector, Reader, Writer,
// WebhookHandler), so the hub and the conformance suite treat a plugin and an
// in-process connector alike. Typed errors come back typed: *ConfigError,
// *CheckError, *WebhookError. A connector that lacks a part answers
// ErrUnsupported for it.
type RPCClient struct {
	c pb.ConnectorClient
}

var (
	_ Connector      = (*RPCClient)(nil)
	_ Reader         = (*RPCClient)(nil)
	_ Writer         = (*RPCClient)(nil)
	_ WebhookHandler = (*RPCClient)(nil)
)

// ErrUnsupported is returned for a call to a part the connector does not have
// (Read on a connector that only writes, ...).
var ErrUnsupported = errors.New("connector does not support this call")

// NewRPCClient returns a client on an established connection.
func NewRPCClient(conn grpc.ClientConnInterface) *RPCClient {
	return &RPCClient{c: pb.NewConnectorClient(conn)}
}

// SpecContext fetches the connector's spec; it fails if the plugin is gone.
func (c *RPCClient) SpecContext(ctx context.Context) (Spec, error) {
	resp, err := c.c.Spec(ctx, &pb.SpecRequest{})
	if err != nil {
		return Spec{}, fromStatus("spec", err)
	}
	return specFromPB(resp), nil
}

// Spec implements Connector; it returns the zero Spec if the plugin is gone (use
// SpecContext to see the error).
func (c *RPCClient) Spec() Spec {
	s, _ := c.SpecContext(context.Background())
	return s
}

// Configure implements Connector.
func (c *RPCClient) Configure(ctx context.Context, config json.RawMessage) error {
	resp, err := c.c.Configure(ctx, &pb.ConfigureRequest{Config: config})
	if err != nil {
		return fromStatus("configure", err)
	}
	if len(resp.GetErrors()) == 0 {
		return nil
	}
	ce := &ConfigError{}
	for _, f := range resp.GetErrors() {
		ce.Fields = append(ce.Fields, FieldError{Field: f.GetField(), Message: f.GetMessage()})
	}
	return ce
}

// Check implements Connector.
func (c *RPCClient) Check(ctx context.Context) error {
	resp, err := c.c.Check(ctx, &pb.CheckRequest{})
	if err != nil {
		return fromStatus("check", err)
	}
	if resp.GetOk() {
		return nil
	}
	return &CheckError{Reason: CheckReason(resp.GetReason()), Message: resp.GetMessage()}
}

// Read implements Reader. When emit fails the stream is cancelled and emit's
// error returned, unwrapped.
func (c *RPCClient) Read(ctx context.Context, stream string, cursor []byte, emit func(Batch) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.c.Read(ctx, &pb.ReadRequest{Stream: stream, Cursor: cursor})
	if err != nil {
		return fromStatus("read "+stream, err)
	}
	for {
		b, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus("read "+stream, err)
		}
		recs, err := recordsFromPB(b.GetRecords())
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		if err := emit(Batch{Records: recs, Cursor: b.GetCursor(), Rejects: rejectsFromPB(b.GetRejects())}); err != nil {
			return err
		}
	}
}

// Write implements Writer. A transport failure makes every command retryable:
// the hub cannot know which of them took effect, and idempotency keys make the
// retry safe.
func (c *RPCClient) Write(ctx context.Context, cmds []Command) []Result {
	resp, err := c.c.Write(ctx, &pb.WriteRequest{Commands: commandsToPB(cmds)})
	if err != nil {
		err = fromStatus("write", err)
		st := StatusRetryable
		if errors.Is(err, ErrUnsupported) {
			st = StatusPermanent
		}
		out := make([]Result, len(cmds))
		for i, cmd := range cmds {
			out[i] = Result{CommandID: cmd.ID, Status: st, Error: err.Error()}
		}
		return out
	}
	return completeResults(cmds, resultsFromPB(resp.GetResults()))
}

// Webhook implements WebhookHandler.
func (c *RPCClient) Webhook(ctx context.Context, headers http.Header, body []byte) ([]canonical.Record, error) {
	resp, err := c.c.Webhook(ctx, &pb.WebhookRequest{Headers: headersToPB(headers), Body: body})
	if err != nil {
		return nil, fromStatus("webhook", err)
	}
	switch resp.GetRefusal() {
	case pb.Refusal_REFUSAL_UNAUTHORIZED:
		return nil, &WebhookError{Refusal: WebhookUnauthorized, Message: resp.GetMessage()}
	case pb.Refusal_REFUSAL_MALFORMED:
		return nil, &WebhookError{Refusal: WebhookMalformed, Message: resp.GetMessage()}
	}
	recs, err := recordsFromPB(resp.GetRecords())
	if err != nil {
		return nil, &WebhookError{Refusal: WebhookMalformed, Message: err.Error()}
	}
	return recs, nil
}

// fromStatus turns a gRPC status back into an error: cancellation and deadlines
// become the context errors, Unimplemented becomes ErrUnsupported.
func fromStatus(op string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch st.Code() {
	case codes.Canceled:
		return fmt.Errorf("%s: %w", op, context.Canceled)
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %w", op, context.DeadlineExceeded)
	case codes.Unimplemented:
		return fmt.Errorf("%s: %w: %s", op, ErrUnsupported, st.Message())
	case codes.Unavailable:
		return fmt.Errorf("%s: %w: %s", op, ErrUnavailable, st.Message())
	}
	return fmt.Errorf("%s: %s", op, st.Message())
}

// ErrUnavailable means the connector process could not be reached (it crashed,
// or is restarting).
var ErrUnavailable = errors.New("connector unavailable")
