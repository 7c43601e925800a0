// Command goplugin is a small go-plugin plugin with AI Studio's handshake, used to test
// the runtime's process tier and the go-plugin bridge. It serves plugin.PluginService and
// config_provider.ConfigProviderService; with a host broker it reaches the host's
// management service (KV) and event service, picking Studio's or the Gateway's service
// as the Go SDK does (PROTOCOL.md section 6).
//
// Behaviour (configuration keys come from Initialize):
//   - ProcessPreAuth: header x-block blocks (403); x-exit makes the process exit mid-call;
//     x-sleep-ms sleeps that long.
//   - ProcessPostAuth: adds header x-go-plugin (config "greeting", default "hello-from-go")
//     and context update go_plugin=seen; with "count_requests"=true it keeps a counter in
//     the host's KV (key go-requests) and adds header x-go-count; with "publish_topic" it
//     publishes the request path there.
//   - OnBeforeWriteHeaders adds x-go-response; OnBeforeWrite replaces "secret" in the body.
//   - HandleEndpointRequestStream streams HEADERS, one BODY per path segment, DONE.
//   - With "subscribe_topic", the first session subscribes to that topic and writes each
//     event's payload to KV key "event:<topic>".
//   - "hang_on_shutdown"=true: the process does not exit after the controller stops it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gpsandbox/common"
	"gpsandbox/wire/configpb"
	"gpsandbox/wire/eventspb"
	"gpsandbox/wire/gatewaypb"
	"gpsandbox/wire/pluginpb"
	"gpsandbox/wire/studiopb"
)

const manifest = `{"id":"com.example.goplugin","version":"1.0.0","name":"Go test plugin",` +
	`"capabilities":{"hooks":["pre_auth","post_auth","on_response","custom_endpoint"]},` +
	`"permissions":{"services":["kv.readwrite"]}}`

var hangOnShutdown bool

// kv is the part of either management service the plugin uses.
type kv interface {
	read(ctx context.Context, key string) ([]byte, error)
	write(ctx context.Context, key string, value []byte) error
}

type studioKV struct {
	c  studiopb.AIStudioManagementServiceClient
	id uint32
}

func (s studioKV) read(ctx context.Context, key string) ([]byte, error) {
	r, err := s.c.ReadPluginKV(ctx, &studiopb.ReadPluginKVRequest{
		Context: &studiopb.PluginContext{PluginId: s.id, MethodScope: "kv.readwrite"}, Key: key})
	if err != nil {
		return nil, err
	}
	return r.Value, nil
}

func (s studioKV) write(ctx context.Context, key string, value []byte) error {
	_, err := s.c.WritePluginKV(ctx, &studiopb.WritePluginKVRequest{
		Context: &studiopb.PluginContext{PluginId: s.id, MethodScope: "kv.readwrite"}, Key: key, Value: value})
	return err
}

type gatewayKV struct {
	c  gatewaypb.MicrogatewayManagementServiceClient
	id uint32
}

func (g gatewayKV) read(ctx context.Context, key string) ([]byte, error) {
	r, err := g.c.ReadPluginKV(ctx, &gatewaypb.ReadPluginKVRequest{
		Context: &gatewaypb.PluginContext{PluginId: g.id, MethodScope: "kv.readwrite"}, Key: key})
	if err != nil {
		return nil, err
	}
	return r.Value, nil
}

func (g gatewayKV) write(ctx context.Context, key string, value []byte) error {
	_, err := g.c.WritePluginKV(ctx, &gatewaypb.WritePluginKVRequest{
		Context: &gatewaypb.PluginContext{PluginId: g.id, MethodScope: "kv.readwrite"}, Key: key, Value: value})
	return err
}

// runtimeName decides studio or gateway from the environment, as the Go SDK does.
func runtimeName() string {
	switch os.Getenv("PLUGIN_RUNTIME") {
	case "studio":
		return "studio"
	case "gateway":
		return "gateway"
	}
	if m := os.Getenv("GATEWAY_MODE"); m == "edge" || m == "standalone_gateway" {
		return "gateway"
	}
	if os.Getenv("MICROGATEWAY_MODE") == "standalone" {
		return "gateway"
	}
	return "studio"
}

type server struct {
	pluginpb.UnimplementedPluginServiceServer

	mu       sync.Mutex
	broker   *goplugin.GRPCBroker
	config   map[string]string
	brokerID uint32
	pluginID uint32
	conn     *grpc.ClientConn
	counter  sync.Mutex

	sessionOnce sync.Once
	closeCh     chan struct{}
}

func (s *server) SetBroker(b *goplugin.GRPCBroker) { s.broker = b }

func (s *server) cfg(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.config[key]
}

// hostConn dials the host's broker once and shares the connection.
func (s *server) hostConn() (*grpc.ClientConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return s.conn, nil
	}
	if s.brokerID == 0 {
		return nil, status.Error(codes.FailedPrecondition, "no service broker id in the configuration")
	}
	conn, err := s.broker.Dial(s.brokerID)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dialling broker %d: %v", s.brokerID, err)
	}
	s.conn = conn
	return conn, nil
}

func (s *server) kv() (kv, error) {
	conn, err := s.hostConn()
	if err != nil {
		return nil, err
	}
	if runtimeName() == "gateway" {
		return gatewayKV{gatewaypb.NewMicrogatewayManagementServiceClient(conn), s.pluginID}, nil
	}
	return studioKV{studiopb.NewAIStudioManagementServiceClient(conn), s.pluginID}, nil
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

func (s *server) Initialize(_ context.Context, r *pluginpb.InitRequest) (*pluginpb.InitResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = r.Config
	if id, err := strconv.ParseUint(firstOf(r.Config, "_service_broker_id", "service_broker_id"), 10, 32); err == nil {
		s.brokerID = uint32(id)
	}
	if id, err := strconv.ParseUint(firstOf(r.Config, "_plugin_id", "plugin_id"), 10, 32); err == nil {
		s.pluginID = uint32(id)
	}
	hangOnShutdown = r.Config["hang_on_shutdown"] == "true"
	if r.Config["fail_init"] == "true" {
		return &pluginpb.InitResponse{Success: false, ErrorMessage: "fail_init is set"}, nil
	}
	return &pluginpb.InitResponse{Success: true}, nil
}

func (s *server) Ping(_ context.Context, r *pluginpb.PingRequest) (*pluginpb.PingResponse, error) {
	return &pluginpb.PingResponse{Timestamp: r.Timestamp, Healthy: true}, nil
}

func (s *server) Shutdown(context.Context, *pluginpb.ShutdownRequest) (*pluginpb.ShutdownResponse, error) {
	s.closeSession()
	return &pluginpb.ShutdownResponse{Success: true}, nil
}

func (s *server) ProcessPreAuth(_ context.Context, r *pluginpb.PluginRequest) (*pluginpb.PluginResponse, error) {
	if _, ok := r.Headers["x-exit"]; ok {
		os.Exit(3)
	}
	if ms, err := strconv.Atoi(r.Headers["x-sleep-ms"]); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if _, ok := r.Headers["x-block"]; ok {
		return &pluginpb.PluginResponse{Block: true, StatusCode: 403, Body: []byte("blocked by the go plugin"),
			Headers: map[string]string{"content-type": "text/plain"}}, nil
	}
	return &pluginpb.PluginResponse{}, nil
}

func (s *server) ProcessPostAuth(ctx context.Context, r *pluginpb.EnrichedRequest) (*pluginpb.PluginResponse, error) {
	greeting := s.cfg("greeting")
	if greeting == "" {
		greeting = "hello-from-go"
	}
	headers := map[string]string{"x-go-plugin": greeting}
	if s.cfg("count_requests") == "true" {
		n, err := s.increment(ctx, "go-requests")
		if err != nil {
			return nil, err
		}
		headers["x-go-count"] = strconv.Itoa(n)
	}
	if topic := s.cfg("publish_topic"); topic != "" {
		conn, err := s.hostConn()
		if err != nil {
			return nil, err
		}
		path := ""
		if r.Request != nil {
			path = r.Request.Path
		}
		res, err := eventspb.NewPluginEventServiceClient(conn).Publish(ctx, &eventspb.PublishRequest{
			Topic: topic, Payload: []byte(path), PluginId: strconv.Itoa(int(s.pluginID))})
		if err != nil {
			return nil, err
		}
		headers["x-go-event"] = res.EventId
	}
	return &pluginpb.PluginResponse{Modified: true, Headers: headers,
		ContextUpdates: map[string]string{"go_plugin": "seen"}}, nil
}

// increment is a read-modify-write of a decimal counter (the host services have no
// atomic increment; calls in this process are serialised).
func (s *server) increment(ctx context.Context, key string) (int, error) {
	s.counter.Lock()
	defer s.counter.Unlock()
	store, err := s.kv()
	if err != nil {
		return 0, err
	}
	n := 0
	value, err := store.read(ctx, key)
	if err == nil {
		n, _ = strconv.Atoi(string(value))
	} else if status.Code(err) != codes.NotFound {
		return 0, err
	}
	n++
	if err := store.write(ctx, key, []byte(strconv.Itoa(n))); err != nil {
		return 0, err
	}
	return n, nil
}

func (s *server) OnBeforeWriteHeaders(_ context.Context, r *pluginpb.HeadersRequest) (*pluginpb.HeadersResponse, error) {
	headers := map[string]string{}
	for k, v := range r.Headers {
		headers[k] = v
	}
	headers["x-go-response"] = "1"
	return &pluginpb.HeadersResponse{Modified: true, Headers: headers}, nil
}

func (s *server) OnBeforeWrite(_ context.Context, r *pluginpb.ResponseWriteRequest) (*pluginpb.ResponseWriteResponse, error) {
	if !strings.Contains(string(r.Body), "secret") {
		return &pluginpb.ResponseWriteResponse{}, nil
	}
	body := strings.ReplaceAll(string(r.Body), "secret", "[redacted]")
	return &pluginpb.ResponseWriteResponse{Modified: true, Body: []byte(body), Headers: r.Headers}, nil
}

func (s *server) GetManifest(context.Context, *pluginpb.GetManifestRequest) (*pluginpb.GetManifestResponse, error) {
	return &pluginpb.GetManifestResponse{Success: true, ManifestJson: manifest}, nil
}

func (s *server) HandleEndpointRequest(_ context.Context, r *pluginpb.EndpointRequest) (*pluginpb.EndpointResponse, error) {
	body, _ := json.Marshal(map[string]string{"method": r.Method, "path": r.Path})
	return &pluginpb.EndpointResponse{StatusCode: 200, Body: body,
		Headers: map[string]string{"content-type": "application/json"}}, nil
}

func (s *server) HandleEndpointRequestStream(r *pluginpb.EndpointRequest, stream pluginpb.PluginService_HandleEndpointRequestStreamServer) error {
	if err := stream.Send(&pluginpb.EndpointResponseChunk{Type: pluginpb.EndpointResponseChunk_HEADERS,
		StatusCode: 200, Headers: map[string]string{"content-type": "text/plain"}}); err != nil {
		return err
	}
	for _, seg := range r.PathSegments {
		if err := stream.Send(&pluginpb.EndpointResponseChunk{Type: pluginpb.EndpointResponseChunk_BODY,
			Data: []byte(seg + "\n")}); err != nil {
			return err
		}
	}
	return stream.Send(&pluginpb.EndpointResponseChunk{Type: pluginpb.EndpointResponseChunk_DONE})
}

func (s *server) sessionChannel() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeCh == nil {
		s.closeCh = make(chan struct{})
	}
	return s.closeCh
}

func (s *server) closeSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeCh != nil {
		close(s.closeCh)
		s.closeCh = nil
	}
}

func (s *server) OpenSession(ctx context.Context, r *pluginpb.OpenSessionRequest) (*pluginpb.OpenSessionResponse, error) {
	s.mu.Lock()
	if r.ServiceBrokerId != 0 && s.brokerID == 0 {
		s.brokerID = r.ServiceBrokerId
	}
	if r.PluginId != 0 && s.pluginID == 0 {
		s.pluginID = r.PluginId
	}
	s.mu.Unlock()
	timeout := time.Duration(r.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	s.sessionOnce.Do(func() {
		if topic := s.cfg("subscribe_topic"); topic != "" {
			go s.subscribe(topic)
		}
	})
	id := fmt.Sprintf("session-%d-%d", s.pluginID, s.brokerID)
	ch := s.sessionChannel()
	select {
	case <-ch:
		return &pluginpb.OpenSessionResponse{Success: true, SessionId: id,
			CloseReason: pluginpb.OpenSessionResponse_EXPLICIT_CLOSE}, nil
	case <-time.After(timeout):
		return &pluginpb.OpenSessionResponse{Success: true, SessionId: id,
			CloseReason: pluginpb.OpenSessionResponse_TIMEOUT}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *server) CloseSession(context.Context, *pluginpb.CloseSessionRequest) (*pluginpb.CloseSessionResponse, error) {
	s.closeSession()
	return &pluginpb.CloseSessionResponse{Success: true}, nil
}

// subscribe pumps events of one topic into KV, in the background of the first session.
func (s *server) subscribe(topic string) {
	time.Sleep(100 * time.Millisecond) // not from inside the parked OpenSession call
	conn, err := s.hostConn()
	if err != nil {
		fmt.Fprintf(os.Stderr, "[ERROR] subscribe: %v\n", err)
		return
	}
	stream, err := eventspb.NewPluginEventServiceClient(conn).Subscribe(context.Background(),
		&eventspb.SubscribeRequest{Topic: topic, PluginId: strconv.Itoa(int(s.pluginID))})
	if err != nil {
		fmt.Fprintf(os.Stderr, "[ERROR] subscribe: %v\n", err)
		return
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			return
		}
		store, err := s.kv()
		if err == nil {
			err = store.write(context.Background(), "event:"+ev.Topic, ev.Payload)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "[ERROR] storing event %s: %v\n", ev.Id, err)
		}
	}
}

// ConfigProviderService.

type configServer struct {
	configpb.UnimplementedConfigProviderServiceServer
}

func (configServer) GetConfigSchema(context.Context, *configpb.ConfigSchemaRequest) (*configpb.ConfigSchemaResponse, error) {
	return &configpb.ConfigSchemaResponse{Success: true, SchemaJson: `{"type":"object"}`}, nil
}

func (configServer) GetManifest(context.Context, *configpb.GetManifestRequest) (*configpb.GetManifestResponse, error) {
	return &configpb.GetManifestResponse{Success: true, ManifestJson: manifest}, nil
}

func (configServer) Ping(_ context.Context, r *configpb.ConfigPingRequest) (*configpb.ConfigPingResponse, error) {
	return &configpb.ConfigPingResponse{Timestamp: r.Timestamp, Healthy: true}, nil
}

func main() {
	s := &server{}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: common.Handshake,
		Plugins:         common.Plugins(s, configServer{}),
		GRPCServer:      goplugin.DefaultGRPCServer,
	})
	if hangOnShutdown {
		select {} // a plugin that never exits: the host must kill it
	}
}
