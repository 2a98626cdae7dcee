// A hashicorp/yamux peer for libs/mux's interop test (test/interop.test.ts). It dials the unix
// socket the test listens on and plays one side:
//
//	yamux-peer server <socket>                  accept streams and echo each; open one stream that
//	                                            says "hello from go"; ping the test's session
//	yamux-peer client <socket> <streams> <bytes> <window>
//	                                            open <streams> streams, send <bytes> each, half-close,
//	                                            check the echo (sha256), ping, close
//
// Built by the test against a local copy of github.com/hashicorp/yamux (YAMUX_SRC); no network.
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/hashicorp/yamux"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "yamux-peer: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: yamux-peer server|client <socket> ...")
	}
	conn, err := net.Dial("unix", os.Args[2])
	if err != nil {
		fail("dial: %v", err)
	}
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = os.Stderr
	switch os.Args[1] {
	case "server":
		serve(conn, cfg)
	case "client":
		if len(os.Args) != 6 {
			fail("usage: yamux-peer client <socket> <streams> <bytes> <window>")
		}
		streams, _ := strconv.Atoi(os.Args[3])
		size, _ := strconv.Atoi(os.Args[4])
		window, _ := strconv.Atoi(os.Args[5])
		cfg.MaxStreamWindowSize = uint32(window)
		runClient(conn, cfg, streams, size)
	default:
		fail("unknown mode %q", os.Args[1])
	}
}

func serve(conn net.Conn, cfg *yamux.Config) {
	session, err := yamux.Server(conn, cfg)
	if err != nil {
		fail("server: %v", err)
	}
	first := true
	for {
		stream, err := session.AcceptStream()
		if err != nil {
			// The test closed the session: a normal end.
			fmt.Println("server done")
			return
		}
		go func() {
			if _, err := io.Copy(stream, stream); err != nil {
				fmt.Fprintf(os.Stderr, "echo %d: %v\n", stream.StreamID(), err)
			}
			stream.Close()
		}()
		if first {
			first = false
			go greet(session)
		}
	}
}

func greet(session *yamux.Session) {
	stream, err := session.OpenStream()
	if err != nil {
		fail("open: %v", err)
	}
	stream.Write([]byte("hello from go"))
	stream.Close()
	if rtt, err := session.Ping(); err != nil {
		fail("ping: %v", err)
	} else {
		fmt.Fprintf(os.Stderr, "go ping rtt %v\n", rtt)
	}
}

func runClient(conn net.Conn, cfg *yamux.Config, streams, size int) {
	session, err := yamux.Client(conn, cfg)
	if err != nil {
		fail("client: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- roundTrip(session, i, size)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fail("%v", err)
		}
	}
	if _, err := session.Ping(); err != nil {
		fail("ping: %v", err)
	}
	session.Close()
	fmt.Println("client ok")
}

func roundTrip(session *yamux.Session, i, size int) error {
	stream, err := session.OpenStream()
	if err != nil {
		return fmt.Errorf("open %d: %v", i, err)
	}
	data := make([]byte, size)
	rand.New(rand.NewSource(int64(i))).Read(data)
	go func() {
		stream.Write(data)
		stream.Close() // FIN: half-close, the echo keeps coming
	}()
	var echoed bytes.Buffer
	if _, err := io.Copy(&echoed, stream); err != nil {
		return fmt.Errorf("read %d: %v", stream.StreamID(), err)
	}
	if sha256.Sum256(echoed.Bytes()) != sha256.Sum256(data) {
		return fmt.Errorf("stream %d: echo differs (%d of %d bytes)", stream.StreamID(), echoed.Len(), size)
	}
	fmt.Printf("ok %d\n", stream.StreamID())
	return nil
}
