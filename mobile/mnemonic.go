package mobile

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// BIP 39 mnemonics (English word list only).
//
// A mnemonic encodes 128 to 256 bits of entropy, in steps of 32, with a
// checksum of entropy-bits/32 bits (the first bits of SHA-256 of the
// entropy), in words of 11 bits: 12, 15, 18, 21 or 24 words. The seed is
// PBKDF2-HMAC-SHA512 of the mnemonic sentence with the salt "mnemonic" +
// passphrase, 2048 iterations, 64 bytes. BIP 39 normalises both strings
// to NFKD; this package accepts only ASCII passphrases (for which NFKD
// changes nothing) and refuses others rather than derive a seed other
// wallets would not.

//go:embed bip39_english.txt
var englishText string

var (
	wordsOnce sync.Once
	wordList  []string
	wordIndex map[string]int
)

func words() ([]string, map[string]int) {
	wordsOnce.Do(func() {
		wordList = strings.Fields(englishText)
		wordIndex = make(map[string]int, len(wordList))
		for i, w := range wordList {
			wordIndex[w] = i
		}
	})
	return wordList, wordIndex
}

// NewMnemonic returns a new random BIP 39 mnemonic of wordCount words
// (12, 15, 18, 21 or 24), from crypto/rand.
func NewMnemonic(wordCount int) (string, error) {
	if wordCount < 12 || wordCount > 24 || wordCount%3 != 0 {
		return "", newError(CodeInvalidArgument, fmt.Sprintf("%d words: want 12, 15, 18, 21 or 24", wordCount))
	}
	entropy := make([]byte, wordCount*4/3)
	if _, err := rand.Read(entropy); err != nil {
		return "", wrapCode(CodeFailed, err)
	}
	return MnemonicFromEntropy(entropy)
}

// MnemonicFromEntropy encodes 16, 20, 24, 28 or 32 bytes of entropy as a
// BIP 39 mnemonic, words separated by single spaces.
func MnemonicFromEntropy(entropy []byte) (string, error) {
	n := len(entropy)
	if n < 16 || n > 32 || n%4 != 0 {
		return "", newError(CodeInvalidArgument, fmt.Sprintf("entropy of %d bytes: want 16, 20, 24, 28 or 32", n))
	}
	list, _ := words()
	sum := sha256.Sum256(entropy)
	bits := append(append([]byte(nil), entropy...), sum[0]) // the checksum is at most 8 bits
	count := (n*8 + n/4) / 11
	out := make([]string, count)
	for i := range out {
		idx := 0
		for b := i * 11; b < i*11+11; b++ {
			idx = idx<<1 | int(bits[b/8]>>(7-b%8)&1)
		}
		out[i] = list[idx]
	}
	return strings.Join(out, " "), nil
}

// MnemonicToEntropy decodes a BIP 39 mnemonic to its entropy, checking
// every word and the checksum. Words are separated by any white space;
// case does not matter.
func MnemonicToEntropy(mnemonic string) ([]byte, error) {
	entropy, _, err := parseMnemonic(mnemonic)
	return entropy, err
}

// ValidateMnemonic checks a BIP 39 mnemonic: known words, a valid word
// count, the checksum.
func ValidateMnemonic(mnemonic string) error {
	_, _, err := parseMnemonic(mnemonic)
	return err
}

// SeedFromMnemonic returns the 64-byte BIP 39 seed of a mnemonic and an
// optional passphrase (ASCII only), after checking the mnemonic. It is
// the seed to give Config.Seed: a wallet restored from the same words and
// passphrase is the same node.
func SeedFromMnemonic(mnemonic, passphrase string) ([]byte, error) {
	_, sentence, err := parseMnemonic(mnemonic)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(passphrase); i++ {
		if passphrase[i] >= 0x80 {
			return nil, newError(CodeInvalidArgument, "passphrase is not ASCII (BIP 39 NFKD normalisation of other text is not implemented)")
		}
	}
	seed, err := pbkdf2.Key(sha512.New, sentence, []byte("mnemonic"+passphrase), 2048, 64)
	if err != nil {
		return nil, wrapCode(CodeFailed, err)
	}
	return seed, nil
}

// parseMnemonic returns the entropy of a mnemonic and its normalised
// sentence (lower-case words joined by single spaces).
func parseMnemonic(mnemonic string) ([]byte, string, error) {
	fields := strings.Fields(strings.ToLower(mnemonic))
	n := len(fields)
	if n < 12 || n > 24 || n%3 != 0 {
		return nil, "", newError(CodeInvalidMnemonic, fmt.Sprintf("%d words: want 12, 15, 18, 21 or 24", n))
	}
	_, index := words()
	bits := make([]byte, (n*11+7)/8)
	for i, w := range fields {
		idx, ok := index[w]
		if !ok {
			return nil, "", newError(CodeInvalidMnemonic, fmt.Sprintf("word %d (%q) is not in the BIP 39 English list", i+1, w))
		}
		for k := 0; k < 11; k++ {
			if idx>>(10-k)&1 == 1 {
				b := i*11 + k
				bits[b/8] |= 1 << (7 - b%8)
			}
		}
	}
	csBits := n / 3
	entropy := bits[:(n*11-csBits)/8]
	sum := sha256.Sum256(entropy)
	total := n * 11
	for k := 0; k < csBits; k++ {
		b := total - csBits + k
		got := bits[b/8] >> (7 - b%8) & 1
		want := sum[0] >> (7 - k) & 1
		if got != want {
			return nil, "", newError(CodeInvalidMnemonic, "checksum does not match (a word is wrong or the words are out of order)")
		}
	}
	return append([]byte(nil), entropy...), strings.Join(fields, " "), nil
}
