//go:build race

package server

// raceEnabled is true under -race, where sync.Pool drops items on purpose
// and allocation figures are not the real ones.
const raceEnabled = true
