// Command wiredump is a placeholder until the decoder lands.
package main

func main() {}
