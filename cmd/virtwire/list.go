package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/virshlist"
	"github.com/virtwire/virtwire/protocol"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// listOptions are virtwire list's options.
type listOptions struct {
	uris     stringList
	readOnly bool

	all, inactive                                  bool
	stateRunning, statePaused, stateShutoff, other bool
	persistent, transient                          bool
	withManagedSave, withoutManagedSave            bool
	autostart, noAutostart                         bool
	withSnapshot, withoutSnapshot                  bool
	withCheckpoint, withoutCheckpoint              bool

	name, uuid, id, table, title, managedSave, quiet bool

	flags    string
	json     bool
	fields   string
	parallel int
	timeout  time.Duration
}

// jsonFields are the fields --json can print, in their fixed output order.
var jsonFields = []string{"name", "uuid", "id", "state", "persistent", "autostart", "managed_save", "has_snapshot"}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o listOptions
	fs := newFlagSet("list", stdout, stderr)
	fs.Var(&o.uris, "c", "connect to `URI` (repeat for several hosts; default $LIBVIRT_DEFAULT_URI, else the local system daemon; fake:///demo starts a built-in fake)")
	fs.Var(&o.uris, "connect", "same as -c `URI`")
	fs.BoolVar(&o.readOnly, "r", false, "open the connection read-only (the -sock-ro socket, VIR_CONNECT_RO)")
	fs.BoolVar(&o.readOnly, "readonly", false, "same as -r")
	fs.BoolVar(&o.all, "all", false, "list active and inactive domains")
	fs.BoolVar(&o.inactive, "inactive", false, "list inactive domains")
	fs.BoolVar(&o.stateRunning, "state-running", false, "list domains in running state")
	fs.BoolVar(&o.statePaused, "state-paused", false, "list domains in paused state")
	fs.BoolVar(&o.stateShutoff, "state-shutoff", false, "list domains in shutoff state")
	fs.BoolVar(&o.other, "state-other", false, "list domains in other states")
	fs.BoolVar(&o.persistent, "persistent", false, "list persistent domains")
	fs.BoolVar(&o.transient, "transient", false, "list transient domains")
	fs.BoolVar(&o.withManagedSave, "with-managed-save", false, "list domains with a managed save state")
	fs.BoolVar(&o.withoutManagedSave, "without-managed-save", false, "list domains without a managed save")
	fs.BoolVar(&o.autostart, "autostart", false, "list domains with autostart enabled")
	fs.BoolVar(&o.noAutostart, "no-autostart", false, "list domains with autostart disabled")
	fs.BoolVar(&o.withSnapshot, "with-snapshot", false, "list domains with existing snapshot")
	fs.BoolVar(&o.withoutSnapshot, "without-snapshot", false, "list domains without a snapshot")
	fs.BoolVar(&o.withCheckpoint, "with-checkpoint", false, "list domains with existing checkpoint")
	fs.BoolVar(&o.withoutCheckpoint, "without-checkpoint", false, "list domains without a checkpoint")
	fs.BoolVar(&o.name, "name", false, "list domain names only")
	fs.BoolVar(&o.uuid, "uuid", false, "list uuid's only")
	fs.BoolVar(&o.id, "id", false, "list domain IDs only")
	fs.BoolVar(&o.table, "table", false, "list table (default)")
	fs.BoolVar(&o.title, "title", false, "show domain title")
	fs.BoolVar(&o.managedSave, "managed-save", false, "mark inactive domains with managed save state")
	fs.BoolVar(&o.quiet, "q", false, "quiet: no header, separator or trailing blank line (virsh -q)")
	fs.StringVar(&o.flags, "flags", "", "send exactly these ListAllDomains filter `BITS` (decimal, 0x…, or names like ACTIVE|PERSISTENT), with no virsh fallback")
	fs.BoolVar(&o.json, "json", false, "print one JSON array of domains, for scripts")
	fs.StringVar(&o.fields, "fields", "name,uuid,id,state", "with --json, the `FIELDS` to print, from "+strings.Join(jsonFields, ",")+"; each beyond name,uuid,id costs one call per domain")
	fs.IntVar(&o.parallel, "parallel", 8, "query at most `N` hosts at once")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up on a host after `DURATION`")
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "virtwire list: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		o.blankLine(stdout)
		return exitUsage
	}
	flags, err := o.listFlags()
	if err != nil {
		fmt.Fprintf(stderr, "virtwire list: %v\n", err)
		return exitUsage
	}
	fields, err := parseFields(o.fields)
	if err != nil {
		fmt.Fprintf(stderr, "virtwire list: %v\n", err)
		return exitUsage
	}
	if len(o.uris) == 0 {
		o.uris = stringList{""}
	}
	multi := len(o.uris) > 1

	results := make([]hostResult, len(o.uris))
	sem := make(chan struct{}, max(o.parallel, 1))
	var wg sync.WaitGroup
	for i, uri := range o.uris {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = hostResult{uri: uri, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			hctx, cancel := context.WithTimeout(ctx, o.timeout)
			defer cancel()
			results[i] = listHost(hctx, uri, flags, &o, fields)
		}()
	}
	wg.Wait()

	code := exitOK
	var rows []virshlist.Row
	var docs []jsonDomain
	for _, r := range results {
		if r.err != nil {
			code = exitFailure
			fmt.Fprintln(stderr, hostError(r, multi))
			continue
		}
		for i := range r.rows {
			r.rows[i].Host = r.uri
		}
		for i := range r.json {
			r.json[i].Host = r.uri
		}
		rows = append(rows, r.rows...)
		docs = append(docs, r.json...)
	}
	if code != exitOK && !multi {
		o.blankLine(stdout)
		return code
	}
	if o.json {
		out := make([]any, 0, len(docs))
		for _, d := range docs {
			out = append(out, d.value(fields, multi))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "virtwire list: %v\n", err)
			return exitFailure
		}
		return code
	}
	virshlist.Sort(rows)
	opts := virshlist.Options{Name: o.name, UUID: o.uuid, ID: o.id, Title: o.title, ManagedSave: o.managedSave, Quiet: o.quiet, Host: multi}
	if err := virshlist.Write(stdout, rows, opts); err != nil {
		fmt.Fprintf(stderr, "virtwire list: %v\n", err)
		return exitFailure
	}
	return code
}

// blankLine prints the empty line virsh prints after list even when it
// fails, unless the output is quiet or JSON.
func (o *listOptions) blankLine(w io.Writer) {
	if !o.quiet && !o.json {
		fmt.Fprintln(w)
	}
}

// check rejects the option combinations virsh rejects, with its wording.
func (o *listOptions) check() error {
	if o.table {
		for _, c := range []struct {
			set  bool
			name string
		}{{o.name, "--name"}, {o.uuid, "--uuid"}, {o.id, "--id"}} {
			if c.set {
				return fmt.Errorf("Options --table and %s are mutually exclusive", c.name)
			}
		}
	}
	return nil
}

// listFlags computes the ListAllDomains flags as virsh list does (FACTS
// §12): ACTIVE by default, INACTIVE with --inactive or --state-shutoff,
// both with --all, and every filter option ORed in.
func (o *listOptions) listFlags() (protocol.ListDomainsFlags, error) {
	if o.flags != "" {
		return protocol.ParseListDomainsFlags(o.flags)
	}
	f := protocol.ListDomainsActive
	if o.inactive || o.stateShutoff {
		f = protocol.ListDomainsInactive
	}
	if o.all {
		f = protocol.ListDomainsActive | protocol.ListDomainsInactive
	}
	for _, b := range []struct {
		set  bool
		flag protocol.ListDomainsFlags
	}{
		{o.persistent, protocol.ListDomainsPersistent}, {o.transient, protocol.ListDomainsTransient},
		{o.stateRunning, protocol.ListDomainsRunning}, {o.statePaused, protocol.ListDomainsPaused},
		{o.stateShutoff, protocol.ListDomainsShutoff}, {o.other, protocol.ListDomainsOther},
		{o.withManagedSave, protocol.ListDomainsManagedSave}, {o.withoutManagedSave, protocol.ListDomainsNoManagedSave},
		{o.autostart, protocol.ListDomainsAutostart}, {o.noAutostart, protocol.ListDomainsNoAutostart},
		{o.withSnapshot, protocol.ListDomainsHasSnapshot}, {o.withoutSnapshot, protocol.ListDomainsNoSnapshot},
		{o.withCheckpoint, protocol.ListDomainsHasCheckpoint}, {o.withoutCheckpoint, protocol.ListDomainsNoCheckpoint},
	} {
		if b.set {
			f |= b.flag
		}
	}
	return f, nil
}

func parseFields(s string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		known := false
		for _, k := range jsonFields {
			known = known || k == f
		}
		if !known {
			return nil, fmt.Errorf("unknown --fields entry %q (known: %s)", f, strings.Join(jsonFields, ","))
		}
		m[f] = true
	}
	return m, nil
}

// hostResult is what one host gave.
type hostResult struct {
	uri  string
	rows []virshlist.Row
	json []jsonDomain
	err  error
}

// hostError is the one line printed for a host that failed: libvirt's
// message for an error the server sent, the URI and the cause for a
// connection error, and always the URI when several hosts are listed.
func hostError(r hostResult, multi bool) string {
	var pe *protocol.Error
	if errors.As(r.err, &pe) && !multi {
		return "error: " + pe.Error()
	}
	uri := r.uri
	if uri == "" {
		uri = "default URI"
	}
	return fmt.Sprintf("error: %s: %v", uri, r.err)
}

// jsonDomain is one domain of --json output. Fields that were not asked for
// stay nil and are left out; the field order is fixed.
type jsonDomain struct {
	Host        string  `json:"host,omitempty"`
	Name        *string `json:"name,omitempty"`
	UUID        *string `json:"uuid,omitempty"`
	ID          *int32  `json:"id,omitempty"`
	State       *string `json:"state,omitempty"`
	Persistent  *bool   `json:"persistent,omitempty"`
	Autostart   *bool   `json:"autostart,omitempty"`
	ManagedSave *bool   `json:"managed_save,omitempty"`
	HasSnapshot *bool   `json:"has_snapshot,omitempty"`
}

func (d jsonDomain) value(fields map[string]bool, multi bool) jsonDomain {
	if !multi {
		d.Host = ""
	}
	if !fields["name"] {
		d.Name = nil
	}
	if !fields["uuid"] {
		d.UUID = nil
	}
	if !fields["id"] {
		d.ID = nil
	}
	return d
}

// listHost lists the domains of one host as virsh list does.
func listHost(ctx context.Context, uri string, flags protocol.ListDomainsFlags, o *listOptions, fields map[string]bool) hostResult {
	res := hostResult{uri: uri}
	target, stop, err := resolveURI(ctx, uri)
	if err != nil {
		res.err = err
		return res
	}
	defer stop()
	var opts []client.Option
	if o.readOnly {
		opts = append(opts, client.WithReadOnly())
	}
	c, err := client.Dial(ctx, target, opts...)
	if err != nil {
		res.err = err
		return res
	}
	defer c.Close()

	doms, err := collect(ctx, c, flags, o.flags != "")
	if err != nil {
		res.err = err
		return res
	}
	q := &domainQuerier{c: c}
	if o.json {
		for _, d := range doms {
			jd, err := q.json(ctx, d, fields)
			if err != nil {
				res.err = err
				return res
			}
			res.json = append(res.json, jd)
		}
		sortJSON(res.json)
		return res
	}
	tableMode := !o.name && !o.uuid && !o.id
	for _, d := range doms {
		row := virshlist.Row{Name: d.Name, UUID: d.UUID, ID: d.ID}
		if tableMode {
			state, err := q.state(ctx, d)
			if err != nil {
				continue // virsh drops a domain whose state it cannot get
			}
			row.State = state
			if o.managedSave && state == protocol.DomainShutoff {
				if row.ManagedSave, err = q.hasManagedSave(ctx, d); err != nil {
					res.err = err
					return res
				}
			}
			if o.title {
				if row.Title, err = q.title(ctx, d); err != nil {
					res.err = err
					return res
				}
			}
		}
		res.rows = append(res.rows, row)
	}
	return res
}

func sortJSON(docs []jsonDomain) {
	rows := make([]virshlist.Row, len(docs))
	byKey := map[string]jsonDomain{}
	for i, d := range docs {
		rows[i] = virshlist.Row{Name: *d.Name, ID: *d.ID}
		byKey[*d.Name] = d
	}
	virshlist.Sort(rows)
	for i, r := range rows {
		docs[i] = byKey[r.Name]
	}
}

// collect runs ListAllDomains with virsh's fallbacks (FACTS §12): a server
// without the procedure (VIR_ERR_NO_SUPPORT) is listed with the old APIs
// and filtered on the client; one that rejects the flags
// (VIR_ERR_INVALID_ARG) is asked again with only ACTIVE|INACTIVE and the
// rest is filtered on the client. exact turns the fallbacks off (--flags).
func collect(ctx context.Context, c *client.Conn, flags protocol.ListDomainsFlags, exact bool) ([]protocol.NonnullDomain, error) {
	doms, err := listAll(ctx, c, flags)
	if err == nil || exact {
		return doms, err
	}
	switch {
	case errors.Is(err, protocol.ErrNoSupport):
		doms, err = legacyList(ctx, c, flags)
	case errors.Is(err, protocol.ErrInvalidArg):
		doms, err = listAll(ctx, c, flags&(protocol.ListDomainsActive|protocol.ListDomainsInactive))
	default:
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return clientFilter(ctx, c, doms, flags)
}

func listAll(ctx context.Context, c *client.Conn, flags protocol.ListDomainsFlags) ([]protocol.NonnullDomain, error) {
	var ret protocol.ConnectListAllDomainsRet
	if err := c.Call(ctx, protocol.ProcConnectListAllDomains, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: flags}, &ret); err != nil {
		return nil, err
	}
	return ret.Domains, nil
}

// legacyList lists domains with the APIs older than ListAllDomains: the IDs
// of active domains and the names of inactive ones, each looked up; a
// domain that vanished in between is left out.
func legacyList(ctx context.Context, c *client.Conn, flags protocol.ListDomainsFlags) ([]protocol.NonnullDomain, error) {
	activeGroup := flags & (protocol.ListDomainsActive | protocol.ListDomainsInactive)
	var doms []protocol.NonnullDomain
	if activeGroup == 0 || flags&protocol.ListDomainsActive != 0 {
		var num protocol.Int32Value
		if err := c.Call(ctx, protocol.ProcConnectNumOfDomains, protocol.Void{}, &num); err != nil {
			return nil, err
		}
		if num.Value > 0 {
			var ids protocol.ConnectListDomainsRet
			if err := c.Call(ctx, protocol.ProcConnectListDomains, &protocol.Int32Value{Value: num.Value}, &ids); err != nil {
				return nil, err
			}
			for _, id := range ids.IDs {
				var dom protocol.DomainArgs
				if err := c.Call(ctx, protocol.ProcDomainLookupByID, &protocol.Int32Value{Value: id}, &dom); err != nil {
					continue
				}
				doms = append(doms, dom.Dom)
			}
		}
	}
	if activeGroup == 0 || flags&protocol.ListDomainsInactive != 0 {
		var num protocol.Int32Value
		if err := c.Call(ctx, protocol.ProcConnectNumOfDefinedDomains, protocol.Void{}, &num); err != nil {
			return nil, err
		}
		if num.Value > 0 {
			var names protocol.NamesRet
			if err := c.Call(ctx, protocol.ProcConnectListDefinedDomains, &protocol.Int32Value{Value: num.Value}, &names); err != nil {
				return nil, err
			}
			for _, n := range names.Names {
				var dom protocol.DomainArgs
				if err := c.Call(ctx, protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: n}, &dom); err != nil {
					continue
				}
				doms = append(doms, dom.Dom)
			}
		}
	}
	return doms, nil
}

// clientFilter applies, one call per domain and group, the filter groups
// other than active/inactive, as virsh does after a fallback.
func clientFilter(ctx context.Context, c *client.Conn, doms []protocol.NonnullDomain, flags protocol.ListDomainsFlags) ([]protocol.NonnullDomain, error) {
	q := &domainQuerier{c: c}
	var out []protocol.NonnullDomain
	for _, d := range doms {
		a := protocol.DomainAttrs{Active: d.ID != -1}
		var err error
		if flags&protocol.GroupPersistent.Mask() != 0 {
			if a.Persistent, err = q.boolCall(ctx, protocol.ProcDomainIsPersistent, &protocol.DomainArgs{Dom: d}); err != nil {
				return nil, fmt.Errorf("Failed to get domain persistence info: %w", err)
			}
		}
		if flags&protocol.GroupState.Mask() != 0 {
			if a.State, err = q.state(ctx, d); err != nil {
				return nil, fmt.Errorf("Failed to get domain state: %w", err)
			}
		}
		if flags&protocol.GroupAutostart.Mask() != 0 {
			if a.Autostart, err = q.boolCall(ctx, protocol.ProcDomainGetAutostart, &protocol.DomainArgs{Dom: d}); err != nil {
				return nil, fmt.Errorf("Failed to get domain autostart state: %w", err)
			}
		}
		if flags&protocol.GroupManagedSave.Mask() != 0 {
			if a.ManagedSave, err = q.hasManagedSave(ctx, d); err != nil {
				return nil, fmt.Errorf("Failed to check for managed save image: %w", err)
			}
		}
		if flags&protocol.GroupSnapshot.Mask() != 0 {
			if a.HasSnapshot, err = q.boolCall(ctx, protocol.ProcDomainSnapshotNum, &protocol.DomainFlagsArgs{Dom: d}); err != nil {
				return nil, fmt.Errorf("Failed to get snapshot count: %w", err)
			}
		}
		if flags&protocol.GroupCheckpoint.Mask() != 0 {
			var ret protocol.DomainListAllChildrenRet
			if err := c.Call(ctx, protocol.ProcDomainListAllCheckpoints, &protocol.DomainListAllChildrenArgs{Dom: d}, &ret); err != nil {
				return nil, fmt.Errorf("Failed to get checkpoint count: %w", err)
			}
			a.HasCheckpoint = ret.Ret > 0
		}
		// The active group was applied by the server or by the choice of lists.
		if (flags &^ protocol.GroupActive.Mask()).Match(a) {
			out = append(out, d)
		}
	}
	return out, nil
}

// domainQuerier makes the per-domain calls, remembering, as virsh does,
// when a server lacks DOMAIN_GET_STATE so that it uses DOMAIN_GET_INFO.
type domainQuerier struct {
	c          *client.Conn
	noGetState bool
}

func (q *domainQuerier) state(ctx context.Context, d protocol.NonnullDomain) (protocol.DomainState, error) {
	if !q.noGetState {
		var ret protocol.DomainGetStateRet
		err := q.c.Call(ctx, protocol.ProcDomainGetState, &protocol.DomainFlagsArgs{Dom: d}, &ret)
		if err == nil {
			return ret.State, nil
		}
		if !errors.Is(err, protocol.ErrNoSupport) {
			return 0, err
		}
		q.noGetState = true
	}
	var info protocol.DomainGetInfoRet
	if err := q.c.Call(ctx, protocol.ProcDomainGetInfo, &protocol.DomainArgs{Dom: d}, &info); err != nil {
		return 0, err
	}
	return protocol.DomainState(info.State), nil
}

// boolCall makes a call whose ret is one int and reports it as non-zero.
func (q *domainQuerier) boolCall(ctx context.Context, proc protocol.Procedure, args protocol.Message) (bool, error) {
	var ret protocol.Int32Value
	if err := q.c.Call(ctx, proc, args, &ret); err != nil {
		return false, err
	}
	return ret.Value != 0, nil
}

func (q *domainQuerier) hasManagedSave(ctx context.Context, d protocol.NonnullDomain) (bool, error) {
	return q.boolCall(ctx, protocol.ProcDomainHasManagedSaveImage, &protocol.DomainFlagsArgs{Dom: d})
}

// title returns the domain's title as virsh list --title gets it: from
// DOMAIN_GET_METADATA, empty when the domain has none.
func (q *domainQuerier) title(ctx context.Context, d protocol.NonnullDomain) (string, error) {
	var ret protocol.StringRet
	err := q.c.Call(ctx, protocol.ProcDomainGetMetadata, &protocol.DomainGetMetadataArgs{Dom: d, Type: protocol.MetadataTitle}, &ret)
	if errors.Is(err, protocol.ErrNoDomainMetadata) {
		return "", nil
	}
	return ret.Value, err
}

func (q *domainQuerier) json(ctx context.Context, d protocol.NonnullDomain, fields map[string]bool) (jsonDomain, error) {
	name, uuid, id := d.Name, d.UUID.String(), d.ID
	jd := jsonDomain{Name: &name, UUID: &uuid, ID: &id}
	if fields["state"] {
		s, err := q.state(ctx, d)
		if err != nil {
			return jd, err
		}
		str := strings.ToLower(s.String())
		jd.State = &str
	}
	boolField := func(want bool, dst **bool, proc protocol.Procedure, args protocol.Message) error {
		if !want {
			return nil
		}
		v, err := q.boolCall(ctx, proc, args)
		*dst = &v
		return err
	}
	dom := &protocol.DomainArgs{Dom: d}
	withFlags := &protocol.DomainFlagsArgs{Dom: d}
	for _, f := range []error{
		boolField(fields["persistent"], &jd.Persistent, protocol.ProcDomainIsPersistent, dom),
		boolField(fields["autostart"], &jd.Autostart, protocol.ProcDomainGetAutostart, dom),
		boolField(fields["managed_save"], &jd.ManagedSave, protocol.ProcDomainHasManagedSaveImage, withFlags),
		boolField(fields["has_snapshot"], &jd.HasSnapshot, protocol.ProcDomainSnapshotNum, withFlags),
	} {
		if f != nil {
			return jd, f
		}
	}
	return jd, nil
}
