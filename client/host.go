package client

import (
	"context"

	"github.com/virtwire/virtwire/protocol"
)

// ConnectGetLibVersion returns the daemon's libvirt version as
// major×1,000,000 + minor×1,000 + release: 9000000 for 9.0.0
// (virConnectGetLibVersion, 157).
func (c *Conn) ConnectGetLibVersion(ctx context.Context) (uint64, error) {
	var ret protocol.ConnectGetLibVersionRet
	err := c.Call(ctx, protocol.ProcConnectGetLibVersion, nil, &ret)
	return ret.Value, err
}

// ConnectGetVersion returns the hypervisor's version in the same encoding
// (virConnectGetVersion, 4); the test driver says 2.
func (c *Conn) ConnectGetVersion(ctx context.Context) (uint64, error) {
	var ret protocol.ConnectGetVersionRet
	err := c.Call(ctx, protocol.ProcConnectGetVersion, nil, &ret)
	return ret.Value, err
}

// ConnectGetHostname returns the daemon host's name
// (virConnectGetHostname, 59).
func (c *Conn) ConnectGetHostname(ctx context.Context) (string, error) {
	var ret protocol.ConnectGetHostnameRet
	err := c.Call(ctx, protocol.ProcConnectGetHostname, nil, &ret)
	return ret.Value, err
}

// ConnectGetType returns the hypervisor driver's name, e.g. "QEMU" or
// "TEST" (virConnectGetType, 3).
func (c *Conn) ConnectGetType(ctx context.Context) (string, error) {
	var ret protocol.ConnectGetTypeRet
	err := c.Call(ctx, protocol.ProcConnectGetType, nil, &ret)
	return ret.Value, err
}

// ConnectIsSecure reports whether the connection is secure
// (virConnectIsSecure, 149). As libvirt's remote driver does, it is true
// only if the daemon says its side is secure and the transport is a unix
// socket or encrypted (TLS): plain TCP is never secure.
func (c *Conn) ConnectIsSecure(ctx context.Context) (bool, error) {
	var ret protocol.ConnectIsSecureRet
	if err := c.Call(ctx, protocol.ProcConnectIsSecure, nil, &ret); err != nil {
		return false, err
	}
	return ret.Value != 0 && (c.local || c.tls), nil
}

// ConnectSupportsFeature asks whether the daemon supports a feature
// (virConnectSupportsFeature, 60); unknown features answer false.
func (c *Conn) ConnectSupportsFeature(ctx context.Context, f protocol.Feature) (bool, error) {
	var ret protocol.ConnectSupportsFeatureRet
	err := c.Call(ctx, protocol.ProcConnectSupportsFeature, &protocol.ConnectSupportsFeatureArgs{Feature: f}, &ret)
	return ret.Supported != 0, err
}
