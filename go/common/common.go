// Package common holds what our Go plugin and Go host share: AI Studio's go-plugin
// handshake and the plugin set ("plugin" serves plugin.PluginService, "config" serves
// config_provider.ConfigProviderService), as PROTOCOL.md sections 2.2 and 2.4 give them.
package common

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"gpsandbox/wire/configpb"
	"gpsandbox/wire/pluginpb"
)

// Handshake is AI Studio's and the Microgateway's go-plugin handshake.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "AI_STUDIO_PLUGIN",
	MagicCookieValue: "v1",
}

// Service is what the "plugin" key dispenses on the host side: the PluginService client
// and the connection's broker.
type Service struct {
	Client pluginpb.PluginServiceClient
	Broker *goplugin.GRPCBroker
}

// ServicePlugin registers a PluginService implementation (plugin side) or wraps the
// connection in a client (host side).
type ServicePlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl interface {
		pluginpb.PluginServiceServer
		SetBroker(*goplugin.GRPCBroker)
	}
}

func (p *ServicePlugin) GRPCServer(b *goplugin.GRPCBroker, s *grpc.Server) error {
	p.Impl.SetBroker(b)
	pluginpb.RegisterPluginServiceServer(s, p.Impl)
	return nil
}

func (p *ServicePlugin) GRPCClient(_ context.Context, b *goplugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Service{Client: pluginpb.NewPluginServiceClient(c), Broker: b}, nil
}

// ConfigPlugin registers a ConfigProviderService implementation or wraps a client.
type ConfigPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl configpb.ConfigProviderServiceServer
}

func (p *ConfigPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	configpb.RegisterConfigProviderServiceServer(s, p.Impl)
	return nil
}

func (p *ConfigPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return configpb.NewConfigProviderServiceClient(c), nil
}

// Plugins is the plugin set of a host; a plugin passes its own implementations.
func Plugins(impl interface {
	pluginpb.PluginServiceServer
	SetBroker(*goplugin.GRPCBroker)
}, cfg configpb.ConfigProviderServiceServer) goplugin.PluginSet {
	return goplugin.PluginSet{
		"plugin": &ServicePlugin{Impl: impl},
		"config": &ConfigPlugin{Impl: cfg},
	}
}
