//go:build !unix

package main

func openFilesLimit() int { return 0 }
