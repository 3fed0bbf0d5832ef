package gzipped

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestAccepted(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip, deflate, br, zstd": true,
		"br;q=1.0, gzip;q=0.8":    true,
		"*":                       true,
		"X-GZIP":                  true,
		"":                        false,
		"gzip;q=0, br":            false,
		"gzip; q=0.000":           false,
		"br, zstd":                false,
		"gzipx":                   false,
	} {
		if got := Accepted(header); got != want {
			t.Errorf("Accepted(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestCompressRoundTripsAndGivesUpWhenItDoesNotPay(t *testing.T) {
	text := []byte(strings.Repeat(`{"name":"Tacos El Flaco","fooditems":["tacos","burritos"]},`, 200))
	for range 2 { // the second time with a writer from the pool
		z := Compress(text, gzip.DefaultCompression)
		if z == nil || len(z) >= len(text)/4 {
			t.Fatalf("Compress of %d repetitive bytes gave %d bytes", len(text), len(z))
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(back, text) {
			t.Fatalf("the gzip body does not decode to the original (err %v)", err)
		}
	}
	if z := Compress([]byte(`{"a":1}`), gzip.BestCompression); z != nil {
		t.Errorf("Compress of 7 bytes gave %d bytes instead of nil", len(z))
	}
}
