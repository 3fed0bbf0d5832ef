// Command dataserver is test support for the real dev deploy: it serves the
// files of one folder over HTTP inside the stack's network, so the web
// containers load permits from a dataUrl the test controls.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	dir, addr := "/data", ":8000"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	log.Fatal(http.ListenAndServe(addr, http.FileServer(http.Dir(dir))))
}
