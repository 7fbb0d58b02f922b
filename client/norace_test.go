//go:build !race

package client

// raceEnabled is true under -race, whose shadow memory makes the
// process's RSS no measure of the client's own memory.
const raceEnabled = false
