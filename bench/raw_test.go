package bench

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"

	"github.com/virtwire/virtwire/protocol"
)

// rawClient is the floor of every client benchmark: one socket, a
// CONNECT_LIST_ALL_DOMAINS call encoded once, and the reply frame read into
// a reused buffer, as few read calls as the kernel allows, with nothing
// decoded. No client can do less and still get the reply.
type rawClient struct {
	nc     net.Conn
	call   []byte // the pre-encoded call frame; its serial is patched per call
	buf    []byte // the reply frame, length word included
	serial uint32
}

// serialOffset is where the serial sits in a frame: after the length word
// and prog, vers, proc and type.
const serialOffset = protocol.LengthWordSize + 16

// dialRaw connects to a libvirt RPC server and opens name (CONNECT_OPEN,
// flags 0; with auth none libvirtd wants nothing before it).
func dialRaw(network, addr, name string) (*rawClient, error) {
	nc, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	r := &rawClient{nc: nc, buf: make([]byte, 64<<10)}
	h := protocol.Header{
		Program: protocol.ProgramRemote, Version: protocol.ProtocolVersion,
		Procedure: protocol.ProcConnectOpen, Type: protocol.TypeCall,
	}
	open, err := protocol.AppendFrame(nil, &h, &protocol.ConnectOpenArgs{Name: protocol.Some(name)})
	if err != nil {
		nc.Close()
		return nil, err
	}
	if err := r.exchange(open); err != nil {
		nc.Close()
		return nil, fmt.Errorf("CONNECT_OPEN %s: %w", name, err)
	}
	h.Procedure, h.Serial = protocol.ProcConnectListAllDomains, 1
	r.call, err = protocol.AppendFrame(nil, &h, &protocol.ConnectListAllDomainsArgs{NeedResults: 1})
	if err != nil {
		nc.Close()
		return nil, err
	}
	r.serial = 1
	return r, nil
}

// exchange sends frame and checks that the reply says OK.
func (r *rawClient) exchange(frame []byte) error {
	if _, err := r.nc.Write(frame); err != nil {
		return err
	}
	n, err := r.readFrame()
	if err != nil {
		return err
	}
	h, err := protocol.DecodeHeader(r.buf[protocol.LengthWordSize:n])
	if err != nil {
		return err
	}
	if h.Status != protocol.StatusOK {
		e := new(protocol.Error)
		if _, derr := protocol.Unmarshal(r.buf[protocol.FrameMin:n], e); derr != nil {
			return fmt.Errorf("reply %v", h)
		}
		return e
	}
	return nil
}

// list makes one CONNECT_LIST_ALL_DOMAINS call and returns the size of the
// reply frame, which is left undecoded in r.buf.
func (r *rawClient) list() (int, error) {
	r.serial++
	binary.BigEndian.PutUint32(r.call[serialOffset:], r.serial)
	if _, err := r.nc.Write(r.call); err != nil {
		return 0, err
	}
	return r.readFrame()
}

// listed decodes the reply that list left in r.buf, to check it outside
// the timed loop.
func (r *rawClient) listed(n int) (*protocol.ConnectListAllDomainsRet, error) {
	h, err := protocol.DecodeHeader(r.buf[protocol.LengthWordSize:n])
	if err != nil {
		return nil, err
	}
	if h.Status != protocol.StatusOK || h.Procedure != protocol.ProcConnectListAllDomains {
		return nil, fmt.Errorf("reply %v", h)
	}
	ret := new(protocol.ConnectListAllDomainsRet)
	if _, err := protocol.Unmarshal(r.buf[protocol.FrameMin:n], ret); err != nil {
		return nil, err
	}
	return ret, nil
}

// readFrame reads one frame into r.buf. With one call outstanding nothing
// follows the reply, so every read goes straight into the buffer and a
// small reply takes one read.
func (r *rawClient) readFrame() (int, error) {
	have, need := 0, protocol.LengthWordSize
	for have < need {
		m, err := r.nc.Read(r.buf[have:])
		have += m
		if err != nil && have < need {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if need == protocol.LengthWordSize && have >= protocol.LengthWordSize {
			n := binary.BigEndian.Uint32(r.buf)
			if err := protocol.CheckLength(n); err != nil {
				return 0, err
			}
			need = int(n)
			if need > len(r.buf) {
				nb := make([]byte, need)
				copy(nb, r.buf[:have])
				r.buf = nb
			}
		}
	}
	if have != need {
		return 0, fmt.Errorf("%d bytes after the reply frame", have-need)
	}
	return need, nil
}

func (r *rawClient) Close() error { return r.nc.Close() }
