package faultproxy_test

import (
	"fmt"
	"io"
	"net"

	"github.com/authadmin/authadmin/internal/faultproxy"
)

// A server that runs "statements" and answers each with "done", behind a
// proxy that loses the answer to the first INSERT.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
					c.Write([]byte("done"))
				}
			}()
		}
	}()

	p, err := faultproxy.New(ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer p.Close()
	p.CutAfterReply([]byte("INSERT"), 1)

	c, err := net.Dial("tcp", p.Addr()) // instead of the server's address
	if err != nil {
		panic(err)
	}
	defer c.Close()
	answer := make([]byte, 4)
	c.Write([]byte("SELECT 1"))
	_, err = io.ReadFull(c, answer)
	fmt.Printf("SELECT: %s, %v\n", answer, err)
	c.Write([]byte("INSERT 1"))
	_, err = io.ReadFull(c, answer)
	fmt.Println("INSERT answer lost:", err != nil, "cuts:", p.Cuts())
	// Output:
	// SELECT: done, <nil>
	// INSERT answer lost: true cuts: 1
}
