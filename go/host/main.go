// Command gohost is a small go-plugin host with AI Studio's handshake. It launches a plugin
// command the way AI Studio and the Microgateway do (go-plugin's client, gRPC only) and
// drives it through the load sequence of PROTOCOL.md section 5, printing one JSON document
// per line on stdout:
//
//	gohost [flags] -- COMMAND [ARGS...]
//
// The sequence: the config-only services (ConfigProviderService Ping, GetManifest,
// GetConfigSchema); a broker ID serving the management service of the chosen runtime
// (AIStudioManagementService or MicrogatewayManagementService: KV kept in memory, every
// call recorded with its context) and PluginEventService (Publish recorded, Subscribe
// streams fed by -publish); Initialize with the flattened config and the host's reserved
// keys; the OpenSession loop; each call of the -calls file (RPC name and proto3 JSON
// request; server-streaming RPCs print every chunk); -publish events; then CloseSession,
// Shutdown and go-plugin's Kill (GRPCController.Shutdown, 2 s grace, kill). A final
// "summary" line holds the broker log, the sessions and the exit.
//
// With -bench N it instead times N calls of -bench-rpc with the -bench-request body after
// a warm-up and prints {"bench": ..., "p50_us": ..., "p99_us": ..., "mean_us": ...}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"gpsandbox/common"
	"gpsandbox/wire/configpb"
	"gpsandbox/wire/eventspb"
	"gpsandbox/wire/gatewaypb"
	"gpsandbox/wire/pluginpb"
	"gpsandbox/wire/studiopb"
)

var out = json.NewEncoder(os.Stdout)
var outMu sync.Mutex

func emit(v interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(v)
}

// cleanup stops the plugin (go-plugin's Kill) on every way out, fail() included.
var cleanup = func() {}

func fail(format string, args ...interface{}) {
	emit(map[string]string{"fatal": fmt.Sprintf(format, args...)})
	cleanup()
	os.Exit(1)
}

var marshal = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

func toJSON(m proto.Message) json.RawMessage {
	b, err := marshal.Marshal(m)
	if err != nil {
		return json.RawMessage(strconv.Quote(err.Error()))
	}
	return b
}

// -- the services we serve on the broker ---------------------------------------------------

type brokerLog struct {
	mu     sync.Mutex
	calls  []map[string]interface{}
	kv     map[string][]byte
	subs   []chan *eventspb.EventMessage
	events []map[string]interface{}
}

func (l *brokerLog) record(method string, pluginID uint32, scope, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, map[string]interface{}{"method": method, "plugin_id": pluginID,
		"method_scope": scope, "key": key})
}

func (l *brokerLog) read(key string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.kv[key]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "key %q not found", key)
	}
	return v, nil
}

func (l *brokerLog) write(key string, value []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, existed := l.kv[key]
	l.kv[key] = append([]byte(nil), value...)
	return !existed
}

func (l *brokerLog) del(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, existed := l.kv[key]
	delete(l.kv, key)
	return existed
}

type studioService struct {
	studiopb.UnimplementedAIStudioManagementServiceServer
	log *brokerLog
}

func (s *studioService) ReadPluginKV(_ context.Context, r *studiopb.ReadPluginKVRequest) (*studiopb.ReadPluginKVResponse, error) {
	s.log.record("ReadPluginKV", r.GetContext().GetPluginId(), r.GetContext().GetMethodScope(), r.Key)
	v, err := s.log.read(r.Key)
	if err != nil {
		return nil, err
	}
	return &studiopb.ReadPluginKVResponse{Value: v}, nil
}

func (s *studioService) WritePluginKV(_ context.Context, r *studiopb.WritePluginKVRequest) (*studiopb.WritePluginKVResponse, error) {
	s.log.record("WritePluginKV", r.GetContext().GetPluginId(), r.GetContext().GetMethodScope(), r.Key)
	return &studiopb.WritePluginKVResponse{Created: s.log.write(r.Key, r.Value)}, nil
}

func (s *studioService) DeletePluginKV(_ context.Context, r *studiopb.DeletePluginKVRequest) (*studiopb.DeletePluginKVResponse, error) {
	s.log.record("DeletePluginKV", r.GetContext().GetPluginId(), r.GetContext().GetMethodScope(), r.Key)
	return &studiopb.DeletePluginKVResponse{Deleted: s.log.del(r.Key)}, nil
}

type gatewayService struct {
	gatewaypb.UnimplementedMicrogatewayManagementServiceServer
	log *brokerLog
}

func (s *gatewayService) ReadPluginKV(_ context.Context, r *gatewaypb.ReadPluginKVRequest) (*gatewaypb.ReadPluginKVResponse, error) {
	s.log.record("ReadPluginKV", r.GetContext().GetPluginId(), r.GetContext().GetMethodScope(), r.Key)
	v, err := s.log.read(r.Key)
	if err != nil {
		return nil, err
	}
	return &gatewaypb.ReadPluginKVResponse{Value: v}, nil
}

func (s *gatewayService) WritePluginKV(_ context.Context, r *gatewaypb.WritePluginKVRequest) (*gatewaypb.WritePluginKVResponse, error) {
	s.log.record("WritePluginKV", r.GetContext().GetPluginId(), r.GetContext().GetMethodScope(), r.Key)
	return &gatewaypb.WritePluginKVResponse{Created: s.log.write(r.Key, r.Value)}, nil
}

func (s *gatewayService) DeletePluginKV(_ context.Context, r *gatewaypb.DeletePluginKVRequest) (*gatewaypb.DeletePluginKVResponse, error) {
	s.log.record("DeletePluginKV", r.GetContext().GetPluginId(), r.GetContext().GetMethodScope(), r.Key)
	return &gatewaypb.DeletePluginKVResponse{Deleted: s.log.del(r.Key)}, nil
}

type eventService struct {
	eventspb.UnimplementedPluginEventServiceServer
	log *brokerLog
}

func (s *eventService) Publish(_ context.Context, r *eventspb.PublishRequest) (*eventspb.PublishResponse, error) {
	if r.Topic == "" {
		return &eventspb.PublishResponse{Success: false, ErrorMessage: "topic is required"}, nil
	}
	s.log.mu.Lock()
	id := fmt.Sprintf("evt-%d", len(s.log.events)+1)
	s.log.events = append(s.log.events, map[string]interface{}{"topic": r.Topic,
		"payload": string(r.Payload), "direction": r.Direction, "plugin_id": r.PluginId, "event_id": id})
	s.log.mu.Unlock()
	s.log.record("Publish", 0, "", r.Topic)
	return &eventspb.PublishResponse{Success: true, EventId: id}, nil
}

func (s *eventService) Subscribe(r *eventspb.SubscribeRequest, stream eventspb.PluginEventService_SubscribeServer) error {
	if r.Topic == "" && !r.SubscribeAll {
		return status.Error(codes.InvalidArgument, "topic or subscribe_all is required")
	}
	s.log.record("Subscribe", 0, "", r.Topic)
	ch := make(chan *eventspb.EventMessage, 100)
	s.log.mu.Lock()
	s.log.subs = append(s.log.subs, ch)
	s.log.mu.Unlock()
	for {
		select {
		case ev := <-ch:
			if r.SubscribeAll || ev.Topic == r.Topic {
				if err := stream.Send(ev); err != nil {
					return err
				}
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

func (l *brokerLog) publish(topic, payload string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ch := range l.subs {
		select {
		case ch <- &eventspb.EventMessage{Id: "host-" + topic, Topic: topic, Origin: "control", Payload: []byte(payload)}:
		default:
		}
	}
	return len(l.subs)
}

// -- generic PluginService calls -----------------------------------------------------------

type call struct {
	RPC     string          `json:"rpc"`
	Request json.RawMessage `json:"request"`
}

func method(rpc string) (protoreflect.MethodDescriptor, error) {
	svc := pluginpb.File_plugin_proto.Services().ByName("PluginService")
	m := svc.Methods().ByName(protoreflect.Name(rpc))
	if m == nil {
		return nil, fmt.Errorf("PluginService has no RPC %q", rpc)
	}
	return m, nil
}

func newMessage(d protoreflect.MessageDescriptor) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName())
	if err != nil {
		return nil, err
	}
	return mt.New().Interface(), nil
}

func invoke(ctx context.Context, conn *grpc.ClientConn, c call) map[string]interface{} {
	result := map[string]interface{}{"rpc": c.RPC}
	m, err := method(c.RPC)
	if err != nil {
		result["error"] = err.Error()
		return result
	}
	req, err := newMessage(m.Input())
	if err == nil && len(c.Request) > 0 {
		err = protojson.Unmarshal(c.Request, req)
	}
	if err != nil {
		result["error"] = "bad request: " + err.Error()
		return result
	}
	path := "/plugin.PluginService/" + c.RPC
	start := time.Now()
	if !m.IsStreamingServer() {
		resp, _ := newMessage(m.Output())
		if err := conn.Invoke(ctx, path, req, resp); err != nil {
			result["error"] = err.Error()
			result["code"] = status.Code(err).String()
		} else {
			result["response"] = toJSON(resp)
		}
		result["micros"] = time.Since(start).Microseconds()
		return result
	}
	desc := &grpc.StreamDesc{StreamName: c.RPC, ServerStreams: true}
	stream, err := conn.NewStream(ctx, desc, path)
	if err == nil {
		err = stream.SendMsg(req)
	}
	if err == nil {
		err = stream.CloseSend()
	}
	chunks := []json.RawMessage{}
	gaps := []int64{}
	last := time.Now()
	for err == nil {
		chunk, _ := newMessage(m.Output())
		if err = stream.RecvMsg(chunk); err == nil {
			chunks = append(chunks, toJSON(chunk))
			gaps = append(gaps, time.Since(last).Microseconds())
			last = time.Now()
		}
	}
	if err != nil && err.Error() != "EOF" {
		result["error"] = err.Error()
		result["code"] = status.Code(err).String()
	}
	result["chunks"] = chunks
	result["chunk_gaps_us"] = gaps
	result["micros"] = time.Since(start).Microseconds()
	return result
}

// -- main ----------------------------------------------------------------------------------

func main() {
	runtime := flag.String("runtime", "studio", "studio or gateway: the host to behave as (PLUGIN_RUNTIME, reserved keys, management service)")
	configJSON := flag.String("config", "{}", "plugin configuration: a JSON object of strings")
	pluginID := flag.Uint("plugin-id", 7, "the decimal plugin ID the host assigns")
	callsFile := flag.String("calls", "", "JSON file: a list of {\"rpc\": ..., \"request\": {...}}")
	publish := flag.String("publish", "", "topic=payload: an event the host sends to the plugin's subscriptions after the calls")
	sessionMs := flag.Int("session-ms", 30000, "OpenSession timeout_ms")
	sessionsWanted := flag.Int("wait-sessions", 0, "wait until this many OpenSession calls returned TIMEOUT before closing")
	noBroker := flag.Bool("no-broker", false, "no service broker (as a Gateway without a management server)")
	bench := flag.Int("bench", 0, "time this many calls of -bench-rpc instead of the load sequence")
	benchRPC := flag.String("bench-rpc", "ProcessPostAuth", "the RPC -bench times")
	benchRequest := flag.String("bench-request", "", "JSON file with the request -bench sends")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "usage: gohost [flags] -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	config := map[string]string{}
	if err := json.Unmarshal([]byte(*configJSON), &config); err != nil {
		fail("-config: %v", err)
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PLUGIN_RUNTIME="+*runtime)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  common.Handshake,
		Plugins:          common.Plugins(nil, nil),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "gohost", Output: os.Stderr, Level: hclog.Warn}),
		StartTimeout:     2 * time.Minute,
	})
	cleanup = client.Kill
	defer func() { cleanup() }()
	rpcClient, err := client.Client()
	if err != nil {
		fail("starting the plugin: %v", err)
	}
	// a plugin killed after the grace period cannot remove its socket: we do, after Kill
	if rc := client.ReattachConfig(); rc != nil && rc.Addr != nil && rc.Addr.Network() == "unix" {
		socket := rc.Addr.String()
		cleanup = func() {
			client.Kill()
			os.Remove(socket)
		}
	}
	raw, err := rpcClient.Dispense("plugin")
	if err != nil {
		fail("dispense plugin: %v", err)
	}
	svc := raw.(*common.Service)
	conn := rpcClient.(*goplugin.GRPCClient).Conn
	ctx := context.Background()
	emit(map[string]interface{}{"event": "started", "protocol_version": client.NegotiatedVersion()})

	if *bench > 0 {
		ictx, cancel := context.WithTimeout(ctx, 60*time.Second)
		r, err := svc.Client.Initialize(ictx, &pluginpb.InitRequest{Config: config})
		cancel()
		if err != nil || !r.Success {
			fail("Initialize: %v %s", err, r.GetErrorMessage())
		}
		runBench(ctx, conn, *bench, *benchRPC, *benchRequest)
		return
	}

	// config-only services, as Studio's install path uses them
	rawCfg, err := rpcClient.Dispense("config")
	if err != nil {
		fail("dispense config: %v", err)
	}
	cfg := rawCfg.(configpb.ConfigProviderServiceClient)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	configOnly := map[string]interface{}{}
	if r, err := cfg.Ping(cctx, &configpb.ConfigPingRequest{Timestamp: 42}); err == nil {
		configOnly["ping"] = toJSON(r)
	} else {
		configOnly["ping_error"] = err.Error()
	}
	if r, err := cfg.GetManifest(cctx, &configpb.GetManifestRequest{}); err == nil {
		configOnly["manifest"] = toJSON(r)
	} else {
		configOnly["manifest_error"] = err.Error()
	}
	if r, err := cfg.GetConfigSchema(cctx, &configpb.ConfigSchemaRequest{}); err == nil {
		configOnly["schema"] = toJSON(r)
	} else {
		configOnly["schema_error"] = err.Error()
	}
	cancel()
	emit(map[string]interface{}{"event": "config_only", "result": configOnly})

	// the broker: management + events on one brokered server
	log := &brokerLog{kv: map[string][]byte{}}
	var brokerID uint32
	if !*noBroker {
		brokerID = svc.Broker.NextId()
		go svc.Broker.AcceptAndServe(brokerID, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			if *runtime == "gateway" {
				gatewaypb.RegisterMicrogatewayManagementServiceServer(s, &gatewayService{log: log})
			} else {
				studiopb.RegisterAIStudioManagementServiceServer(s, &studioService{log: log})
			}
			eventspb.RegisterPluginEventServiceServer(s, &eventService{log: log})
			return s
		})
		time.Sleep(100 * time.Millisecond) // as Studio waits for the brokered server to start
	}
	id := strconv.FormatUint(uint64(*pluginID), 10)
	if *runtime == "gateway" {
		config["_plugin_id"] = id
		if brokerID != 0 {
			config["_service_broker_id"] = strconv.FormatUint(uint64(brokerID), 10)
		}
	} else {
		config["plugin_id"] = id
		config["has_service_api"] = "true"
		if brokerID != 0 {
			config["service_broker_id"] = strconv.FormatUint(uint64(brokerID), 10)
		}
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	initResp, err := svc.Client.Initialize(ictx, &pluginpb.InitRequest{Config: config})
	cancel()
	if err != nil {
		fail("Initialize: %v", err)
	}
	emit(map[string]interface{}{"event": "initialize", "response": toJSON(initResp), "broker_id": brokerID})
	if !initResp.Success {
		fail("Initialize refused: %s", initResp.ErrorMessage)
	}

	// the session loop
	var sessMu sync.Mutex
	sessions := []map[string]interface{}{}
	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for loopCtx.Err() == nil {
			start := time.Now()
			r, err := svc.Client.OpenSession(loopCtx, &pluginpb.OpenSessionRequest{
				ServiceBrokerId: brokerID, PluginId: uint32(*pluginID), TimeoutMs: int32(*sessionMs)})
			entry := map[string]interface{}{"millis": time.Since(start).Milliseconds()}
			if err != nil {
				entry["error"] = err.Error()
			} else {
				entry["close_reason"] = r.CloseReason.String()
				entry["session_id"] = r.SessionId
			}
			sessMu.Lock()
			sessions = append(sessions, entry)
			sessMu.Unlock()
			if err != nil {
				select {
				case <-loopCtx.Done():
				case <-time.After(time.Second):
				}
				continue
			}
			if r.CloseReason == pluginpb.OpenSessionResponse_EXPLICIT_CLOSE {
				return
			}
		}
	}()

	// the calls
	if *callsFile != "" {
		data, err := ioutil.ReadFile(*callsFile)
		if err != nil {
			fail("-calls: %v", err)
		}
		var calls []call
		if err := json.Unmarshal(data, &calls); err != nil {
			fail("-calls: %v", err)
		}
		for _, c := range calls {
			cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			r := invoke(cctx, conn, c)
			cancel()
			r["event"] = "call"
			emit(r)
		}
	}
	if *publish != "" {
		parts := strings.SplitN(*publish, "=", 2)
		payload := ""
		if len(parts) == 2 {
			payload = parts[1]
		}
		// the plugin subscribes from its session-ready hook: wait for a subscription
		deadline := time.Now().Add(10 * time.Second)
		n := 0
		for time.Now().Before(deadline) {
			log.mu.Lock()
			n = len(log.subs)
			log.mu.Unlock()
			if n > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		emit(map[string]interface{}{"event": "publish", "topic": parts[0], "subscribers": log.publish(parts[0], payload)})
		time.Sleep(500 * time.Millisecond) // let the plugin handle it
	}
	for *sessionsWanted > 0 {
		sessMu.Lock()
		timeouts := 0
		for _, s := range sessions {
			if s["close_reason"] == "TIMEOUT" {
				timeouts++
			}
		}
		sessMu.Unlock()
		if timeouts >= *sessionsWanted {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	// unload: CloseSession, Shutdown, Kill
	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	closeResp, closeErr := svc.Client.CloseSession(cctx, &pluginpb.CloseSessionRequest{Reason: "unload"})
	cancel()
	select {
	case <-loopDone:
	case <-time.After(5 * time.Second):
	}
	stopLoop()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	shutResp, shutErr := svc.Client.Shutdown(sctx, &pluginpb.ShutdownRequest{TimeoutSeconds: 5})
	cancel()
	killStart := time.Now()
	cleanup()
	killMillis := time.Since(killStart).Milliseconds()

	summary := map[string]interface{}{"event": "summary", "kill_millis": killMillis, "exited": client.Exited()}
	if closeErr != nil {
		summary["close_session_error"] = closeErr.Error()
	} else {
		summary["close_session"] = toJSON(closeResp)
	}
	if shutErr != nil {
		summary["shutdown_error"] = shutErr.Error()
	} else {
		summary["shutdown"] = toJSON(shutResp)
	}
	sessMu.Lock()
	summary["sessions"] = sessions
	sessMu.Unlock()
	log.mu.Lock()
	summary["broker_calls"] = log.calls
	summary["events_published"] = log.events
	kv := map[string]string{}
	for k, v := range log.kv {
		kv[k] = string(v)
	}
	summary["kv"] = kv
	log.mu.Unlock()
	emit(summary)
}

func runBench(ctx context.Context, conn *grpc.ClientConn, n int, rpc, requestFile string) {
	body := []byte("{}")
	if requestFile != "" {
		var err error
		if body, err = ioutil.ReadFile(requestFile); err != nil {
			fail("-bench-request: %v", err)
		}
	}
	m, err := method(rpc)
	if err != nil || m.IsStreamingServer() {
		fail("-bench-rpc %s: a unary PluginService RPC is needed", rpc)
	}
	req, _ := newMessage(m.Input())
	if err := protojson.Unmarshal(body, req); err != nil {
		fail("-bench-request: %v", err)
	}
	size := proto.Size(req)
	path := "/plugin.PluginService/" + rpc
	one := func() time.Duration {
		resp, _ := newMessage(m.Output())
		start := time.Now()
		if err := conn.Invoke(ctx, path, req, resp); err != nil {
			fail("%s: %v", rpc, err)
		}
		return time.Since(start)
	}
	for i := 0; i < n/10+20; i++ {
		one()
	}
	times := make([]float64, n)
	total := 0.0
	for i := range times {
		times[i] = float64(one().Nanoseconds()) / 1000
		total += times[i]
	}
	sort.Float64s(times)
	emit(map[string]interface{}{"bench": rpc, "n": n, "request_bytes": size,
		"p50_us": times[n/2], "p99_us": times[(n*99)/100], "mean_us": total / float64(n)})
}
