package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"aggregator/config"
)

// listenError says why the daemon cannot listen on cfg's server.listen, and
// what to do about it.
func listenError(cfg *config.Config, err error) error {
	listen := cfg.Server.Listen
	var hint string
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		hint = fmt.Sprintf("another program listens there (ss -ltnp shows which), perhaps another aggregator: stop it, or set server.listen to a free port, e.g. %q", nextPort(listen))
	case errors.Is(err, syscall.EACCES):
		hint = `ports below 1024 need privileges; set server.listen to a port from 1024 up, e.g. "127.0.0.1:8080", and put a reverse proxy in front of it`
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		hint = `this machine has no such address; set server.listen to one of its addresses, e.g. "127.0.0.1:8080", or to the port alone, ":8080", for all of them`
	default:
		hint = "check server.listen"
	}
	file := cfg.Path
	if file == "" {
		file = "<config>"
	}
	return fmt.Errorf("%s: server.listen: cannot listen on %s (%w); %s", file, listen, err, hint)
}

// nextPort returns listen with the port after its own.
func nextPort(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "127.0.0.1:8081"
	}
	p, err := strconv.Atoi(port)
	switch {
	case err != nil || p <= 0:
		p = 8081
	case p < 65535:
		p++
	default:
		p--
	}
	return net.JoinHostPort(host, strconv.Itoa(p))
}
