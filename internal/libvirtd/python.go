package libvirtd

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

//go:embed listall.py
var listAllScript string

// PyDomain is one domain as python-libvirt's listAllDomains returned it.
type PyDomain struct {
	// Name is virDomainGetName.
	Name string `json:"name"`
	// UUID is virDomainGetUUIDString, e.g. "11111111-1111-1111-1111-111111111111".
	UUID string `json:"uuid"`
	// ID is virDomainGetID: -1 for an inactive domain.
	ID int `json:"id"`
}

// PyError is a libvirtError as python-libvirt reports it, every field of
// virError (FACTS §4 remote_error, §9). A nil string is a NULL on the wire.
type PyError struct {
	Code    int     `json:"code"`    // virErrorNumber, e.g. 8 VIR_ERR_INVALID_ARG
	Domain  int     `json:"domain"`  // virErrorDomain, e.g. 12 VIR_FROM_TEST
	Message *string `json:"message"` // the formatted message
	Level   int     `json:"level"`   // virErrorLevel: 2 is VIR_ERR_ERROR
	Str1    *string `json:"str1"`    // extra string 1 (template or function name, FACTS §9)
	Str2    *string `json:"str2"`    // extra string 2 (detail, or "flags")
	Str3    *string `json:"str3"`    // extra string 3
	Int1    int     `json:"int1"`    // extra number 1 (-1 or 0, FACTS §9)
	Int2    int     `json:"int2"`    // extra number 2
}

// Error returns the message, with code and domain.
func (e *PyError) Error() string {
	msg := "<nil>"
	if e.Message != nil {
		msg = *e.Message
	}
	return fmt.Sprintf("libvirt error code %d domain %d: %s", e.Code, e.Domain, msg)
}

// PyResult is the outcome of one conn.listAllDomains(Flags) call: Domains
// in the order the server returned them, or Error.
type PyResult struct {
	Flags   uint32     `json:"flags"`   // the flags argument
	Domains []PyDomain `json:"domains"` // nil when Error is set
	Error   *PyError   `json:"error"`   // the libvirtError raised, or nil
}

// PyListAllDomains opens uri with python-libvirt (read-only if readonly;
// a plain connection, no event loop, like captures/c_py_flags) and calls
// conn.listAllDomains(f) once for each f in flags, in order, in one
// process. Results stream through a pipe, so all 65,536 16-bit flag values
// take one process and little memory beyond the returned slice.
//
// A failed open returns an error that wraps a *PyError (errors.As).
func PyListAllDomains(ctx context.Context, uri string, readonly bool, flags []uint32) ([]PyResult, error) {
	out := make([]PyResult, 0, len(flags))
	err := PyListAllDomainsFunc(ctx, uri, readonly, flags, func(r PyResult) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PyListAllDomainsFunc is [PyListAllDomains] calling fn with each result as
// it arrives instead of collecting them. An error from fn stops the run and
// is returned.
func PyListAllDomainsFunc(ctx context.Context, uri string, readonly bool, flags []uint32, fn func(PyResult) error) (err error) {
	env, home, err := clientEnv()
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var in strings.Builder
	for _, f := range flags {
		in.WriteString(strconv.FormatUint(uint64(f), 10))
		in.WriteByte('\n')
	}
	ro := "0"
	if readonly {
		ro = "1"
	}
	cmd := exec.CommandContext(ctx, PythonPath, "-I", "-c", listAllScript, uri, ro)
	cmd.Env = env
	cmd.Dir = home
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("libvirtd: python: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("libvirtd: python: %w", err)
	}
	defer func() {
		if err != nil {
			cancel() // python may still be writing; stop it before Wait
		}
		werr := cmd.Wait()
		if err == nil && werr != nil {
			err = fmt.Errorf("libvirtd: python %s: %w; stderr: %s", uri, werr, strings.TrimSpace(stderr.String()))
		}
	}()

	dec := json.NewDecoder(stdout)
	n := 0
	for {
		var line struct {
			PyResult
			OpenError *PyError `json:"open_error"`
		}
		if err := dec.Decode(&line); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("libvirtd: python output: %w; stderr: %s", err, strings.TrimSpace(stderr.String()))
		}
		if line.OpenError != nil {
			return fmt.Errorf("libvirtd: python open %s: %w", uri, line.OpenError)
		}
		if n >= len(flags) || line.Flags != flags[n] {
			return fmt.Errorf("libvirtd: python answered flags %#x as result %d; want %d results", line.Flags, n, len(flags))
		}
		n++
		if err := fn(line.PyResult); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("libvirtd: python: %w", ctx.Err())
	}
	if n != len(flags) {
		return fmt.Errorf("libvirtd: python gave %d results for %d flags values; stderr: %s", n, len(flags), strings.TrimSpace(stderr.String()))
	}
	return nil
}
