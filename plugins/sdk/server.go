package sdk

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/crossdockhq/crossdock/plugins/proto"
)

// grpcServer serves a Connector over the protocol. Typed errors (ConfigError,
// CheckError, WebhookError) travel in the responses; other errors become gRPC
// statuses the client turns back into errors.
type grpcServer struct {
	pb.UnimplementedConnectorServer
	impl Connector
}

func (s *grpcServer) Spec(context.Context, *pb.SpecRequest) (*pb.SpecResponse, error) {
	return specToPB(s.impl.Spec()), nil
}

func (s *grpcServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	err := s.impl.Configure(ctx, req.GetConfig())
	if err == nil {
		return &pb.ConfigureResponse{}, nil
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		out := &pb.ConfigureResponse{}
		for _, f := range ce.Fields {
			out.Errors = append(out.Errors, &pb.FieldError{Field: f.Field, Message: f.Message})
		}
		if len(out.Errors) == 0 {
			out.Errors = []*pb.FieldError{{Field: "", Message: err.Error()}}
		}
		return out, nil
	}
	return nil, toStatus(err)
}

func (s *grpcServer) Check(ctx context.Context, _ *pb.CheckRequest) (*pb.CheckResponse, error) {
	err := s.impl.Check(ctx)
	if err == nil {
		return &pb.CheckResponse{Ok: true}, nil
	}
	var ce *CheckError
	if errors.As(err, &ce) {
		return &pb.CheckResponse{Reason: string(ce.Reason), Message: ce.Message}, nil
	}
	return nil, toStatus(err)
}

func (s *grpcServer) Read(req *pb.ReadRequest, stream pb.Connector_ReadServer) error {
	r, ok := s.impl.(Reader)
	if !ok {
		return status.Error(codes.Unimplemented, "connector does not read streams")
	}
	err := r.Read(stream.Context(), req.GetStream(), req.GetCursor(), func(b Batch) error {
		return stream.Send(&pb.ReadBatch{Records: recordsToPB(b.Records), Cursor: b.Cursor, Rejects: rejectsToPB(b.Rejects)})
	})
	if err != nil {
		return toStatus(err)
	}
	return nil
}

func (s *grpcServer) Write(ctx context.Context, req *pb.WriteRequest) (*pb.WriteResponse, error) {
	w, ok := s.impl.(Writer)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "connector does not write")
	}
	cmds := commandsFromPB(req.GetCommands())
	return &pb.WriteResponse{Results: resultsToPB(completeResults(cmds, w.Write(ctx, cmds)))}, nil
}

func (s *grpcServer) Webhook(ctx context.Context, req *pb.WebhookRequest) (*pb.WebhookResponse, error) {
	h, ok := s.impl.(WebhookHandler)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "connector does not take webhooks")
	}
	recs, err := h.Webhook(ctx, headersFromPB(req.GetHeaders()), req.GetBody())
	if err != nil {
		var we *WebhookError
		if errors.As(err, &we) {
			ref := pb.Refusal_REFUSAL_MALFORMED
			if we.Refusal == WebhookUnauthorized {
				ref = pb.Refusal_REFUSAL_UNAUTHORIZED
			}
			return &pb.WebhookResponse{Refusal: ref, Message: we.Message}, nil
		}
		return nil, toStatus(err)
	}
	return &pb.WebhookResponse{Records: recordsToPB(recs)}, nil
}

// completeResults makes sure there is exactly one result per command, in order:
// a command the connector forgot gets a permanent error rather than vanishing.
func completeResults(cmds []Command, rs []Result) []Result {
	if len(rs) == len(cmds) {
		return rs
	}
	byID := make(map[string]Result, len(rs))
	for _, r := range rs {
		byID[r.CommandID] = r
	}
	out := make([]Result, len(cmds))
	for i, c := range cmds {
		r, ok := byID[c.ID]
		if !ok {
			r = Result{CommandID: c.ID, Status: StatusPermanent, Error: "connector returned no result for this command"}
		}
		out[i] = r
	}
	return out
}

func toStatus(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, fmt.Sprint(err))
}
