package libvirtdtest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/xdr"
)

// frame builds one frame with an arbitrary header.
func frame(prog protocol.Program, vers uint32, proc protocol.Procedure, typ protocol.MessageType, serial uint32, status protocol.Status, payload []byte) []byte {
	h := protocol.Header{Program: prog, Version: vers, Procedure: proc, Type: typ, Serial: serial, Status: status}
	b, err := protocol.AppendFrame(nil, &h, protocol.RawPayload(payload))
	if err != nil {
		panic(err)
	}
	return b
}

func call(proc protocol.Procedure, serial uint32, payload []byte) []byte {
	return frame(protocol.ProgramRemote, 1, proc, protocol.TypeCall, serial, protocol.StatusOK, payload)
}

func lengthWord(n uint32, rest ...byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, n), rest...)
}

// outcome is what a hostile input got: the frames that came back, and
// whether the server closed the connection.
type outcome struct {
	frames [][]byte
	closed bool
}

func (o outcome) String() string {
	var b strings.Builder
	for _, f := range o.frames {
		fmt.Fprintf(&b, "\n   %s", describe(f))
	}
	return fmt.Sprintf("closed=%v frames=%d%s", o.closed, len(o.frames), b.String())
}

// probeSerial marks the AUTH_LIST sent after a hostile input to see
// whether the connection still answers.
const probeSerial = 0x7777

// hostile writes input on a fresh connection (opened first if open), then
// an AUTH_LIST if the connection survived, and records what came back.
func hostile(t *testing.T, sock, name string, open bool, input []byte) outcome {
	t.Helper()
	r := dialRaw(t, "unix", sock)
	if open {
		r.open(name, 0)
	}
	r.write(input)
	var o outcome
	read := func(d time.Duration) bool {
		b, err := r.readFrame(d)
		if err != nil {
			o.closed = !isTimeout(err)
			return false
		}
		o.frames = append(o.frames, b)
		return true
	}
	for read(300 * time.Millisecond) {
	}
	if o.closed {
		return o
	}
	if _, err := r.c.Write(call(protocol.ProcAuthList, probeSerial, nil)); err != nil {
		o.closed = true
		return o
	}
	for read(2 * time.Second) {
		if h, _ := protocol.DecodeHeader(o.frames[len(o.frames)-1][4:]); h.Serial == probeSerial {
			break
		}
	}
	return o
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	t, ok := err.(timeout)
	return ok && t.Timeout()
}

// TestConformanceHostile sends the bad framing, headers and payloads of
// FACTS §1 and §3 to libvirtd 9.0 and to the fake and requires the same
// reaction: the same reply bytes, or silence, and the connection closed or
// kept alike; meanwhile a well-behaved client on the same fake keeps
// getting answers (RELIABILITY tests 1, 2, 6, 8, 12, 20-22, 26).
func TestConformanceHostile(t *testing.T) {
	p := startPair(t, "testdata/node.xml")
	name := "test://" + p.node
	good := dialRaw(t, "unix", p.fake.Socket)
	good.open(name, 0)

	name1M := xdr.AppendString(nil, strings.Repeat("x", 1<<20))
	long := binary.BigEndian.AppendUint32(nil, protocol.StringMax+1)
	cases := []struct {
		name  string
		open  bool
		input []byte
	}{
		{"len 0x7fffffff (d01)", false, lengthWord(0x7fffffff, 0, 0, 0, 0)},
		{"len MAX+1 (d02)", false, lengthWord(33554437, 0, 0, 0, 0)},
		{"len 0 (d04)", false, lengthWord(0)},
		{"len 3 (d05)", false, lengthWord(3)},
		{"len 4 (d32)", false, lengthWord(4)},
		{"len 8 (d06)", false, lengthWord(8, 0x20, 0, 0x80, 0x86)},
		{"len 27 (d33)", false, lengthWord(27, make([]byte, 23)...)},
		{"HTTP (d07)", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"len MAX then stall (d03)", false, lengthWord(33554436, 0x20, 0, 0x80, 0x86)},
		{"unknown program (d08)", false, frame(0x12345678, 1, 1, protocol.TypeCall, 5, 0, nil)},
		{"wrong version (d09)", false, frame(protocol.ProgramRemote, 2, 1, protocol.TypeCall, 5, 0, nil)},
		{"keepalive as CALL (d15)", false, frame(protocol.ProgramKeepalive, 1, 1, protocol.TypeCall, 5, 0, nil)},
		{"unknown program MESSAGE", false, frame(0x12345678, 1, 1, protocol.TypeMessage, 5, 0, nil)},
		{"unknown procedure (d10)", true, call(9999, 5, nil)},
		{"procedure 0", true, call(0, 5, nil)},
		{"procedure -1", true, call(-1, 5, nil)},
		{"event procedure as CALL", true, call(protocol.ProcDomainEventCallbackLifecycle, 5, nil)},
		{"REPLY from client (d12)", true, frame(protocol.ProgramRemote, 1, 3, protocol.TypeReply, 5, 0, nil)},
		{"MESSAGE from client", true, frame(protocol.ProgramRemote, 1, 3, protocol.TypeMessage, 5, 0, nil)},
		{"type 99 (d34)", true, frame(protocol.ProgramRemote, 1, 3, 99, 5, 0, nil)},
		{"STREAM (d35)", true, frame(protocol.ProgramRemote, 1, 3, protocol.TypeStream, 5, 0, nil)},
		{"STREAM_HOLE", true, frame(protocol.ProgramRemote, 1, 3, protocol.TypeStreamHole, 5, 0, nil)},
		{"CALL with status ERROR (d13)", true, frame(protocol.ProgramRemote, 1, 3, protocol.TypeCall, 5, protocol.StatusError, nil)},
		{"CALL with status 7", true, frame(protocol.ProgramRemote, 1, 3, protocol.TypeCall, 5, 7, nil)},
		{"short payload (d16)", true, call(protocol.ProcConnectListAllDomains, 5, []byte{0, 0, 0, 1})},
		{"trailing bytes (d17)", true, call(protocol.ProcConnectListAllDomains, 5, []byte{0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9})},
		{"string over max (d21)", true, call(protocol.ProcDomainLookupByName, 5, long)},
		{"1 MiB name (d29)", true, call(protocol.ProcDomainLookupByName, 5, name1M)},
		{"PING before open (d14)", false, frame(protocol.ProgramKeepalive, 1, protocol.KeepaliveProcPing, protocol.TypeMessage, 0, 0, nil)},
		{"PONG unsolicited", false, frame(protocol.ProgramKeepalive, 1, protocol.KeepaliveProcPong, protocol.TypeMessage, 0, 0, nil)},
		{"keepalive proc 3", false, frame(protocol.ProgramKeepalive, 1, 3, protocol.TypeMessage, 0, 0, nil)},
		{"list before open (d11)", false, call(protocol.ProcConnectListAllDomains, 5, []byte{0, 0, 0, 1, 0, 0, 0, 3})},
		{"serials 0, duplicate, max (d26)", true, bytes.Join([][]byte{call(protocol.ProcConnectGetType, 0, nil),
			call(protocol.ProcConnectGetType, 9, nil), call(protocol.ProcConnectGetType, 9, nil),
			call(protocol.ProcConnectGetType, 0xffffffff, nil)}, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			real := hostile(t, p.real.Socket, name, c.open, c.input)
			fake := hostile(t, p.fake.Socket, name, c.open, c.input)
			// Replies to pipelined calls may come in any order (S3),
			// and lists in any order (S4).
			norm := func(fs [][]byte) [][]byte {
				out := make([][]byte, len(fs))
				for i, f := range fs {
					out[i] = normalize(f)
				}
				slices.SortFunc(out, bytes.Compare)
				return out
			}
			same := real.closed == fake.closed && slices.EqualFunc(norm(real.frames), norm(fake.frames), bytes.Equal)
			if !same {
				t.Errorf("libvirtd: %v\nfake: %v", real, fake)
			}
			// The good client is unaffected.
			b := good.call(protocol.ProcConnectListAllDomains, listAll(1, 3))
			if e := replyError(b); e != nil {
				t.Errorf("good client after %s: %v", c.name, e)
			}
		})
	}
}
