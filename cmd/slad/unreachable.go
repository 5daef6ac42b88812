package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
)

// unreachable says, for a request no slad answered (nothing listens at
// --server, or its host is not known), what to do, in the words of every
// command that talks to a server; "" for any other error.
func unreachable(err error, server string) string {
	if u, perr := url.Parse(server); perr == nil {
		server = u.Redacted() // a password in the URL stays out of the message
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Sprintf("no slad answers at %s (connection refused).\nStart one with 'slad serve', or point --server at the one that runs.", server)
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok && de.IsNotFound {
		return fmt.Sprintf("the host of %s is not known (%s); check --server.", server, de.Name)
	}
	return ""
}
