// Package captures gives tests the conversations recorded from a real
// libvirtd 9.0 that the project's specification ships (FACTS §6): one frame
// per line of hex in each direction, the python flag sweep's API results and
// the node XML files they were made with. The files live in testdata/ and are
// embedded, so tests need nothing outside the repository.
package captures

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed testdata
var files embed.FS

// Capture is one recorded connection.
type Capture struct {
	Name string   // directory name, e.g. "a_virsh_list_all"
	C2S  [][]byte // client-to-server frames, in order
	S2C  [][]byte // server-to-client frames, in order
}

// All returns every capture, sorted by name.
func All() ([]Capture, error) {
	entries, err := fs.ReadDir(files, "testdata")
	if err != nil {
		return nil, err
	}
	var out []Capture
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := Load(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Load returns the capture with the given directory name.
func Load(name string) (Capture, error) {
	c := Capture{Name: name}
	var err error
	if c.C2S, err = readHex(path.Join("testdata", name, "c2s.hex")); err != nil {
		return c, err
	}
	if c.S2C, err = readHex(path.Join("testdata", name, "s2c.hex")); err != nil {
		return c, err
	}
	return c, nil
}

// Frames returns every frame of every capture in both directions, for seeding
// fuzz targets and golden tests.
func Frames() ([][]byte, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, c := range all {
		out = append(out, c.C2S...)
		out = append(out, c.S2C...)
	}
	return out, nil
}

func readHex(name string) ([][]byte, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("captures: %s:%d: %v", name, line, err)
		}
		frames = append(frames, b)
	}
	return frames, sc.Err()
}

// PyResult is one entry of c_py_flags/results.json: what python-libvirt's
// listAllDomains(flags) returned against libvirtd 9.0 on node.xml.
type PyResult struct {
	Label   string     `json:"label"`
	Flags   uint32     `json:"flags"`
	OK      bool       `json:"ok"`
	Domains []PyDomain `json:"domains"`
	Code    int32      `json:"code"`
	Domain  int32      `json:"domain"`
	Level   int32      `json:"level"`
	Message string     `json:"message"`
	Str1    *string    `json:"str1"`
	Str2    *string    `json:"str2"`
	Str3    *string    `json:"str3"`
	Int1    int32      `json:"int1"`
	Int2    int32      `json:"int2"`
}

// PyDomain is a domain as results.json lists it.
type PyDomain struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	ID   int32  `json:"id"`
}

// PyFlagResults returns the entries of c_py_flags/results.json in order.
func PyFlagResults() ([]PyResult, error) {
	data, err := files.ReadFile("testdata/c_py_flags/results.json")
	if err != nil {
		return nil, err
	}
	var out []PyResult
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// NodeXML returns one of the node XML files the captures were made with:
// "node.xml" (eight domains, FACTS §6) or "node-empty.xml".
func NodeXML(name string) ([]byte, error) {
	return files.ReadFile(path.Join("testdata", name))
}
