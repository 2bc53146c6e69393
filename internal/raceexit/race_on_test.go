//go:build race && unix

package raceexit

const raceEnabled = true
