// Command memberlist-bench is one hashicorp/memberlist node in its own process, for Tools/bench-gossip-loopback.sh:
// the side of issue 7's loopback comparison that SignalMesh is measured against.
//
// It runs memberlist with the LAN defaults (memberlist.DefaultLANConfig: gossip to 3 nodes every 200 ms,
// RetransmitMult 4, compression on), bound to 127.0.0.1, and spreads user broadcasts the way memberlist's users do
// (Serf, Consul): a Delegate whose GetBroadcasts drains a memberlist.TransmitLimitedQueue, and whose NotifyMsg queues
// every message it sees for the first time for retransmission, so each node passes a message on
// RetransmitMult * ceil(log10(N+1)) times, piggybacked on memberlist's own gossip packets.
//
// Standard output carries one JSON object per line:
//
//	{"ev":"listening","name":"n00","port":40123}
//	{"ev":"recv","id":7,"t_ns":1795324856269000000,"own":false}   first copy of message 7 (CLOCK_REALTIME ns)
//	{"ev":"stats", ...}                                            the answer to "stats"
//
// Standard input takes commands, one a line: "pub ID" (publish message ID, a number, with the -payload size),
// "stats" (print the counters), "quit". The end of input also stops the node (memberlist Shutdown, no Leave).
//
// Bytes sent are counted in a wrapper around memberlist's own NetTransport: UDP payload bytes written, and TCP
// bytes written on streams this node dialled or accepted (push-pull state exchanges, TCP fallback pings).
//
// Build (offline, Debian's packages): GO111MODULE=off GOPATH=<dir>:/usr/share/gocode go build
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// counters are the node's figures; every field is updated atomically.
type counters struct {
	udpBytesOut    int64
	udpPacketsOut  int64
	tcpBytesOut    int64
	userTransmits  int64 // user messages handed to memberlist to send (each goes to one node)
	userBytesOut   int64 // their bytes
	firstReceipts  int64
	duplicates     int64
	published      int64
	userBytesIn    int64
	userMessagesIn int64
}

var stats counters

// countingTransport is memberlist's NetTransport with the bytes it sends counted.
type countingTransport struct {
	*memberlist.NetTransport
	streams chan net.Conn
}

func newCountingTransport(inner *memberlist.NetTransport) *countingTransport {
	t := &countingTransport{NetTransport: inner, streams: make(chan net.Conn)}
	go func() {
		for conn := range inner.StreamCh() {
			t.streams <- &countingConn{Conn: conn}
		}
	}()
	return t
}

func (t *countingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	atomic.AddInt64(&stats.udpBytesOut, int64(len(b)))
	atomic.AddInt64(&stats.udpPacketsOut, 1)
	return t.NetTransport.WriteTo(b, addr)
}

func (t *countingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	atomic.AddInt64(&stats.udpBytesOut, int64(len(b)))
	atomic.AddInt64(&stats.udpPacketsOut, 1)
	return t.NetTransport.WriteToAddress(b, a)
}

func (t *countingTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	conn, err := t.NetTransport.DialTimeout(addr, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn}, nil
}

func (t *countingTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	conn, err := t.NetTransport.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn}, nil
}

func (t *countingTransport) StreamCh() <-chan net.Conn { return t.streams }

// IngestStream hands a stream to memberlist as NetTransport would, counted.
func (t *countingTransport) IngestStream(conn net.Conn) error {
	t.streams <- &countingConn{Conn: conn}
	return nil
}

type countingConn struct{ net.Conn }

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	atomic.AddInt64(&stats.tcpBytesOut, int64(n))
	return n, err
}

// output serialises stdout lines between goroutines.
type output struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (o *output) line(v interface{}) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.w.Write(data)
	o.w.WriteByte('\n')
	o.w.Flush()
}

var out = &output{w: bufio.NewWriter(os.Stdout)}

// userBroadcast is one user message in the transmit queue; user messages never invalidate each other.
type userBroadcast struct{ msg []byte }

func (b *userBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b *userBroadcast) Message() []byte                       { return b.msg }
func (b *userBroadcast) Finished()                             {}

// delegate records first receipts and queues them for retransmission; duplicates are only counted.
type delegate struct {
	queue *memberlist.TransmitLimitedQueue
	mu    sync.Mutex
	seen  map[uint64]bool
}

func (d *delegate) NodeMeta(int) []byte { return nil }

func (d *delegate) NotifyMsg(b []byte) {
	now := time.Now().UnixNano()
	atomic.AddInt64(&stats.userMessagesIn, 1)
	atomic.AddInt64(&stats.userBytesIn, int64(len(b)))
	if len(b) < 8 {
		return
	}
	id := binary.BigEndian.Uint64(b[:8])
	d.mu.Lock()
	first := !d.seen[id]
	d.seen[id] = true
	d.mu.Unlock()
	if !first {
		atomic.AddInt64(&stats.duplicates, 1)
		return
	}
	atomic.AddInt64(&stats.firstReceipts, 1)
	// memberlist may reuse b after NotifyMsg returns.
	msg := append([]byte(nil), b...)
	d.queue.QueueBroadcast(&userBroadcast{msg: msg})
	out.line(map[string]interface{}{"ev": "recv", "id": id, "t_ns": now, "own": false})
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	msgs := d.queue.GetBroadcasts(overhead, limit)
	for _, m := range msgs {
		atomic.AddInt64(&stats.userTransmits, 1)
		atomic.AddInt64(&stats.userBytesOut, int64(len(m)))
	}
	return msgs
}

func (d *delegate) LocalState(bool) []byte                 { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool) {}

func (d *delegate) publish(id uint64, size int) {
	msg := make([]byte, size)
	// Random filler: a signed record does not compress, and memberlist compresses its packets by default.
	if _, err := rand.Read(msg); err != nil {
		panic(err)
	}
	binary.BigEndian.PutUint64(msg[:8], id)
	now := time.Now().UnixNano()
	d.mu.Lock()
	d.seen[id] = true
	d.mu.Unlock()
	atomic.AddInt64(&stats.published, 1)
	d.queue.QueueBroadcast(&userBroadcast{msg: msg})
	out.line(map[string]interface{}{"ev": "recv", "id": id, "t_ns": now, "own": true})
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "memberlist-bench: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	name := flag.String("name", "", "this node's name (unique in the cluster)")
	join := flag.String("join", "", "host:port of a node to join through (none for the first node)")
	payload := flag.Int("payload", 171, "bytes per published message, 8 to 1024 (the first 8 carry its id)")
	flag.Parse()
	if *name == "" {
		fail("-name is required")
	}
	if *payload < 8 || *payload > 1024 {
		fail("-payload must be 8 to 1024 bytes, not %d", *payload)
	}

	conf := memberlist.DefaultLANConfig()
	conf.Name = *name
	conf.BindAddr = "127.0.0.1"
	conf.BindPort = 0
	conf.LogOutput = os.Stderr
	inner, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{conf.BindAddr}, BindPort: 0,
	})
	if err != nil {
		fail("cannot bind on 127.0.0.1: %v", err)
	}
	port := inner.GetAutoBindPort()
	conf.BindPort = port
	conf.AdvertiseAddr = "127.0.0.1"
	conf.AdvertisePort = port
	conf.Transport = newCountingTransport(inner)

	d := &delegate{seen: make(map[uint64]bool)}
	conf.Delegate = d
	var list *memberlist.Memberlist
	d.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       func() int { return list.NumMembers() },
		RetransmitMult: conf.RetransmitMult,
	}
	list, err = memberlist.Create(conf)
	if err != nil {
		fail("cannot create the memberlist: %v", err)
	}
	out.line(map[string]interface{}{"ev": "listening", "name": *name, "port": port})

	if *join != "" {
		// The first node may still be starting; ten tries a second apart at most.
		for attempt := 1; ; attempt++ {
			if _, err := list.Join([]string{*join}); err == nil {
				break
			} else if attempt == 10 {
				fail("cannot join %s: %v", *join, err)
			}
			time.Sleep(time.Second)
		}
	}

	input := bufio.NewScanner(os.Stdin)
	for input.Scan() {
		fields := strings.Fields(input.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "pub":
			if len(fields) != 2 {
				fail("pub takes one id")
			}
			id, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				fail("pub: bad id %q", fields[1])
			}
			d.publish(id, *payload)
		case "stats":
			out.line(map[string]interface{}{
				"ev":               "stats",
				"name":             *name,
				"members":          list.NumMembers(),
				"udp_bytes_out":    atomic.LoadInt64(&stats.udpBytesOut),
				"udp_packets_out":  atomic.LoadInt64(&stats.udpPacketsOut),
				"tcp_bytes_out":    atomic.LoadInt64(&stats.tcpBytesOut),
				"user_transmits":   atomic.LoadInt64(&stats.userTransmits),
				"user_bytes_out":   atomic.LoadInt64(&stats.userBytesOut),
				"first_receipts":   atomic.LoadInt64(&stats.firstReceipts),
				"duplicates":       atomic.LoadInt64(&stats.duplicates),
				"published":        atomic.LoadInt64(&stats.published),
				"user_messages_in": atomic.LoadInt64(&stats.userMessagesIn),
				"user_bytes_in":    atomic.LoadInt64(&stats.userBytesIn),
				"queued":           d.queue.NumQueued(),
			})
		case "quit":
			list.Shutdown()
			return
		default:
			fail("unknown command %q (pub ID, stats, quit)", fields[0])
		}
	}
	list.Shutdown()
}
