package fakeapi

import "k8s.io/streaming/pkg/httpstream"

func isUpgradeFailure(err error) bool {
	return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
}
