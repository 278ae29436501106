package sdk

import (
	"context"
	"math"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/crossdockhq/crossdock/plugins/proto"
)

// ProtocolVersion is the version of the connector protocol this SDK speaks. The
// host and the plugin negotiate it during go-plugin's handshake
// (VersionedPlugins), so a future version 2 can be served beside version 1.
const ProtocolVersion = 1

// PluginName is the name the connector is registered under in the plugin set.
const PluginName = "connector"

// MaxMessageBytes is the largest gRPC message either side accepts: big enough for
// a batch of a few thousand records.
const MaxMessageBytes = 64 << 20

// windowBytes is the HTTP/2 flow-control window of the plugin connection.
const windowBytes = 4 << 20

// Handshake is the go-plugin handshake every Crossdock connector answers. The
// magic cookie is not a secret: it only stops a user from running a connector by
// hand and wondering why it waits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "CROSSDOCK_CONNECTOR_PLUGIN",
	MagicCookieValue: "c2a8f1e4-crossdock-connector",
}

// VersionedPlugins returns the plugin sets by protocol version. On the plugin
// side impl is the connector; on the host side impl is nil.
func VersionedPlugins(impl Connector) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		1: {PluginName: &GRPCPlugin{Impl: impl}},
	}
}

// GRPCPlugin is the go-plugin glue of protocol version 1: it serves a Connector
// over gRPC on the plugin side and dispenses an *RPCClient on the host side.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the connector served; nil on the host side.
	Impl Connector
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the connector service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterConnectorServer(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient returns the host-side client of the connector service.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewRPCClient(c), nil
}

// GRPCDialOptions are the options the host dials a plugin with.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
		// Large batches stream without waiting on HTTP/2 flow control.
		grpc.WithInitialWindowSize(windowBytes),
		grpc.WithInitialConnWindowSize(windowBytes),
	}
}

func grpcServerFactory(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(math.MaxInt32),
		grpc.InitialWindowSize(windowBytes), grpc.InitialConnWindowSize(windowBytes))
	return grpc.NewServer(opts...)
}
