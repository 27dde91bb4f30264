// Package mobile is a facade over package node for mobile apps, built to
// be bound with gomobile (gobind) for Android (Java/Kotlin) and iOS
// (Objective-C/Swift).
package mobile
