package testdriver

import (
	"strings"

	"github.com/virtwire/virtwire/protocol"
)

// Flags of the metadata procedures (virDomainModificationImpact).
const (
	affectLive   = 1 // VIR_DOMAIN_AFFECT_LIVE
	affectConfig = 2 // VIR_DOMAIN_AFFECT_CONFIG
)

// modificationImpact is virDomainObjUpdateModificationImpact: CURRENT
// becomes LIVE for an active domain and CONFIG otherwise; LIVE needs an
// active domain and CONFIG a persistent one.
func (o *domainObj) modificationImpact(flags uint32) (uint32, *protocol.Error) {
	if flags&(affectLive|affectConfig) == 0 {
		if o.active() {
			flags |= affectLive
		} else {
			flags |= affectConfig
		}
	}
	if flags&affectLive != 0 && !o.active() {
		return 0, errNotRunning()
	}
	if flags&affectConfig != 0 && !o.persistent {
		return 0, errTransientConfig()
	}
	return flags, nil
}

// getMetadata is DOMAIN_GET_METADATA: virDomainGetMetadata's argument
// checks, testDomainGetMetadata's flag check and lookup, then
// virDomainObjGetMetadata. The fake keeps no <metadata> elements, so an
// ELEMENT request always finds nothing.
func (s *nodeState) getMetadata(a *protocol.DomainGetMetadataArgs) (string, *protocol.Error) {
	const api = "virDomainGetMetadata"
	if a.Flags&affectLive != 0 && a.Flags&affectConfig != 0 {
		return "", errExclusiveFlags(api, "VIR_DOMAIN_AFFECT_LIVE", "VIR_DOMAIN_AFFECT_CONFIG")
	}
	switch a.Type {
	case protocol.MetadataTitle, protocol.MetadataDescription:
		if a.URI.Valid {
			return "", errMustBeNull(api, "uri")
		}
	case protocol.MetadataElement:
		if !a.URI.Valid {
			return "", errMustNotBeNull(api, "uri")
		}
	}
	if err := checkFlags(a.Flags, affectLive|affectConfig, "testDomainGetMetadata"); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.find(&a.Dom)
	if err != nil {
		return "", err
	}
	if a.Type > protocol.MetadataElement {
		return "", errUnknownMetadataType(a.Type)
	}
	flags, err := o.modificationImpact(a.Flags)
	if err != nil {
		return "", err
	}
	def := o.def
	if flags&affectConfig != 0 {
		def = o.persistentDef()
	}
	var v string
	switch a.Type {
	case protocol.MetadataTitle:
		v = def.title
	case protocol.MetadataDescription:
		v = def.description
	}
	if v == "" {
		return "", errNoMetadata()
	}
	return v, nil
}

// setMetadata is DOMAIN_SET_METADATA after the read-only check:
// virDomainSetMetadata's argument checks, testDomainSetMetadata's flag check
// and lookup, then virDomainObjSetMetadata (definitions, then type). An empty
// or NULL value removes a title or description.
func (s *nodeState) setMetadata(a *protocol.DomainSetMetadataArgs) *protocol.Error {
	const api = "virDomainSetMetadata"
	switch a.Type {
	case protocol.MetadataTitle:
		if a.URI.Valid {
			return errMustBeNull(api, "uri")
		}
		if a.Key.Valid {
			return errMustBeNull(api, "key")
		}
		if a.Metadata.Valid && strings.Contains(a.Metadata.Value, "\n") {
			return errInvalidArg(api, "metadata", "metadata title can't contain newlines")
		}
	case protocol.MetadataDescription:
		if a.URI.Valid {
			return errMustBeNull(api, "uri")
		}
		if a.Key.Valid {
			return errMustBeNull(api, "key")
		}
	case protocol.MetadataElement:
		if !a.URI.Valid {
			return errMustNotBeNull(api, "uri")
		}
		if a.Metadata.Valid && !a.Key.Valid {
			return errMustNotBeNull(api, "key")
		}
	}
	if err := checkFlags(a.Flags, affectLive|affectConfig, "testDomainSetMetadata"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.find(&a.Dom)
	if err != nil {
		return err
	}
	flags, err := o.modificationImpact(a.Flags)
	if err != nil {
		return err
	}
	if a.Type < protocol.MetadataDescription || a.Type > protocol.MetadataElement {
		return errUnknownMetadataType(a.Type)
	}
	if a.Type == protocol.MetadataElement {
		return errUnsupportedMetadataElement()
	}
	set := func(def *domainDef) {
		if a.Type == protocol.MetadataTitle {
			def.title = a.Metadata.Value
		} else {
			def.description = a.Metadata.Value
		}
	}
	if flags&affectLive != 0 {
		set(o.def)
	}
	if flags&affectConfig != 0 {
		set(o.persistentDef())
	}
	return nil
}
