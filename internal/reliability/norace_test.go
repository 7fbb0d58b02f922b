//go:build !race

package reliability

// raceEnabled is true under -race, whose shadow memory makes the process's
// RSS no measure of the server's own memory.
const raceEnabled = false
