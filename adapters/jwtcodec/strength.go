package jwtcodec

import (
	_ "embed"
	"math"
	"strings"
	"unicode/utf8"
)

// MinSecretBits is the strength, in bits, a configured secret must be
// estimated above: New refuses a secret estimated at MinSecretBits or less
// with an error wrapping ErrWeakSecret, unless the AllowWeakSecret option
// is given.
//
// One token lets an attacker test guesses of an HMAC key offline, so the
// key must be out of reach of 2^128 guesses. The estimate credits a
// character at most log2 of its alphabet, whether the key is random or
// made up. Random keys of the sizes New asks for are accepted: 32, 48 or
// 64 random bytes, raw, in base64 (openssl rand -base64 32) or in hex
// (openssl rand -hex 32), and 24 random bytes in base64. 16 random bytes in
// hex (32 hex digits, at most 128 bits) are always refused; RFC 7518
// (section 3.2) asks HS256 for a key of 256 bits. Passing the estimate does
// not make a key random: generate keys rather than type them.
const MinSecretBits = 128

// maxStrengthUnits caps the characters the estimate examines: a longer
// secret is judged on its first maxStrengthUnits characters (bytes, for a
// secret that is not UTF-8), which can only underestimate it.
const maxStrengthUnits = 256

// weakWordsFile is the dictionary of the estimate: the words people put in
// secrets, most common first.
//
//go:embed weakwords.txt
var weakWordsFile string

// parseWords returns the words of a dictionary file, one a line, skipping
// blank lines, lines starting with '#' and anything but two or more lower
// case ASCII letters (the file has none; the tests check).
func parseWords(file string) []string {
	var words []string
	for line := range strings.Lines(file) {
		w := strings.TrimSpace(line)
		if len(w) < 2 || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			continue
		}
		words = append(words, w)
	}
	return words
}

// Character classes of the estimate. Their sizes add up to 256, so a secret
// using every class is credited 8 bits a character.
const (
	classDigit    = 1 << iota // 0-9: 10
	classHexLower             // a-f: 6
	classLower                // g-z: 20
	classHexUpper             // A-F: 6
	classUpper                // G-Z: 20
	classSymbol               // ASCII punctuation and space: 33
	classOther                // control characters, DEL, anything not ASCII: 161
)

// alphabetSize returns the summed sizes of the classes set in classes.
func alphabetSize(classes int) int {
	size := 0
	for _, c := range [...]struct{ class, size int }{
		{classDigit, 10}, {classHexLower, 6}, {classLower, 20},
		{classHexUpper, 6}, {classUpper, 20}, {classSymbol, 33}, {classOther, 161},
	} {
		if classes&c.class != 0 {
			size += c.size
		}
	}
	return size
}

// classOf returns the character class of r.
func classOf(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return classDigit
	case r >= 'a' && r <= 'f':
		return classHexLower
	case r >= 'g' && r <= 'z':
		return classLower
	case r >= 'A' && r <= 'F':
		return classHexUpper
	case r >= 'G' && r <= 'Z':
		return classUpper
	case r >= ' ' && r <= '~':
		return classSymbol
	default:
		return classOther
	}
}

// keyboardRows returns runs of neighbouring keys (US layout), for keyboard
// sequences such as "qwerty" and "asdf".
func keyboardRows() [5]string {
	return [...]string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "!@#$%^&*()"}
}

// keyboardKeys is the number of keys in keyboardRows: where a keyboard
// sequence may start.
const keyboardKeys = 10 + 10 + 9 + 7 + 10

// leet returns the letters r stands for when used as a l33t substitute.
func leet(r rune) string {
	switch r {
	case '0':
		return "o"
	case '1':
		return "il"
	case '2':
		return "z"
	case '3':
		return "e"
	case '4', '@':
		return "a"
	case '5', '$':
		return "s"
	case '6', '9':
		return "g"
	case '7', '+':
		return "t"
	case '8':
		return "b"
	case '!':
		return "i"
	case '|':
		return "l"
	}
	return ""
}

// secretBits estimates, in bits, how many guesses an attacker who knows
// how people make up secrets needs to find secret. It is a much simplified
// zxcvbn (Wheeler, USENIX Security 2016): the secret is cut into pieces,
// each piece is charged the bits needed to describe it, and the estimate is
// the cheapest way to describe the whole secret. A piece is
//
//   - one character: log2 of the alphabet, the summed sizes of the
//     character classes the secret uses: digits (10), a-f (6), g-z (20), A-F
//     (6), G-Z (20), ASCII punctuation and space (33), anything else (161);
//     a secret of hex digits thus has 16 characters to choose from, random
//     bytes 256;
//   - a word of weakwords.txt, matched ignoring case and l33t substitutions
//     (4 for a, 3 for e, $ for s...): log2 of its rank in the file, plus 1
//     bit if it is capitalised or all upper case (1 bit per letter for
//     other mixes of case), plus 1 bit per substituted character;
//   - a sequence of 3 or more characters stepping by one up or down within
//     digits, lower or upper case letters ("abcd", "987"): log2 of 10 or 26
//     for the start, 1 bit for the direction and log2 of the length;
//   - 3 or more neighbouring keys of a keyboard row ("qwerty", "lkjh"):
//     log2 of the number of keys, 1 bit for the direction, log2 of the
//     length and the bits of its case, as for a word;
//   - a punctuation character or space repeating the last one before it
//     (a separator, as in "my-jwt-key"): 1 bit;
//   - a year from 1900 to 2099: log2(200);
//   - 3 or more characters repeating what came earlier in the secret (a
//     run "aaaa", a pattern "abcabcabc", a word used twice): log2 of the
//     position, the number of places the copy could come from, plus log2
//     of its length.
//
// The secret is read as UTF-8 characters if it is valid UTF-8 and as bytes
// otherwise; only its first maxStrengthUnits are read. The estimate is
// deterministic and depends on nothing but secret.
func secretBits(secret []byte) float64 {
	units := strengthUnits(secret)
	n := len(units)
	if n == 0 {
		return 0
	}
	classes := 0
	for _, r := range units {
		classes |= classOf(r)
	}
	charBits := math.Log2(float64(alphabetSize(classes)))
	words := parseWords(weakWordsFile)
	// byFirst lists the ranks (from 0) of the words starting with each
	// letter.
	var byFirst [26][]int
	for rank, w := range words {
		byFirst[w[0]-'a'] = append(byFirst[w[0]-'a'], rank)
	}
	repeat := longestRepeats(units)
	lastSymbol := rune(-1) // the last punctuation character or space before i

	// best[i] is the cheapest description of units[:i]. Every piece goes
	// forward, so best[i] is final when the loop reaches i.
	best := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		best[i] = math.Inf(1)
	}
	relax := func(end int, bits float64) {
		if bits < best[end] {
			best[end] = bits
		}
	}
	for i := range n {
		b := best[i]
		u := units[i]
		relax(i+1, b+charBits)
		if classOf(u) == classSymbol {
			if u == lastSymbol {
				relax(i+1, b+1)
			}
			lastSymbol = u
		}
		firsts := leet(u)
		if u >= 'a' && u <= 'z' || u >= 'A' && u <= 'Z' {
			firsts = string(u | 0x20)
		}
		for _, first := range firsts {
			for _, rank := range byFirst[first-'a'] {
				w := words[rank]
				if bits, ok := matchWord(units[i:], w); ok {
					relax(i+len(w), b+math.Log2(float64(rank+1))+bits)
				}
			}
		}
		if l, size := sequenceAt(units[i:]); l >= 3 {
			for k := 3; k <= l; k++ {
				relax(i+k, b+math.Log2(float64(size))+1+math.Log2(float64(k)))
			}
		}
		if l := keyboardAt(units[i:]); l >= 3 {
			for k := 3; k <= l; k++ {
				relax(i+k, b+math.Log2(keyboardKeys)+1+math.Log2(float64(k))+caseBits(units[i:i+k]))
			}
		}
		if isYear(units[i:]) {
			relax(i+4, b+math.Log2(200))
		}
		for k := 3; k <= repeat[i]; k++ {
			relax(i+k, b+math.Log2(float64(i))+math.Log2(float64(k)))
		}
	}
	return best[n]
}

// strengthUnits returns the characters of secret the estimate reads: its
// runes if it is valid UTF-8, else its bytes, at most maxStrengthUnits.
func strengthUnits(secret []byte) []rune {
	units := make([]rune, 0, min(len(secret), maxStrengthUnits))
	if utf8.Valid(secret) {
		for _, r := range string(secret) {
			if len(units) == maxStrengthUnits {
				break
			}
			units = append(units, r)
		}
		return units
	}
	for _, b := range secret[:min(len(secret), maxStrengthUnits)] {
		units = append(units, rune(b))
	}
	return units
}

// longestRepeats returns, for each position i of units, the length of the
// longest prefix of units[i:] that also starts at an earlier position (the
// copy may overlap it, as in "aaaa").
func longestRepeats(units []rune) []int {
	n := len(units)
	longest := make([]int, n)
	for d := 1; d < n; d++ {
		run := 0
		for i := n - 1; i >= d; i-- {
			if units[i] == units[i-d] {
				run++
			} else {
				run = 0
			}
			longest[i] = max(longest[i], run)
		}
	}
	return longest
}

// matchWord reports whether units starts with word (lower case ASCII
// letters) up to case and l33t substitutions, and the extra bits those
// cost.
func matchWord(units []rune, word string) (float64, bool) {
	if len(units) < len(word) {
		return 0, false
	}
	subst := 0
	for j := range len(word) {
		u, w := units[j], rune(word[j])
		switch {
		case u == w, isUpper(u) && u|0x20 == w:
		case strings.ContainsRune(leet(u), w):
			subst++
		default:
			return 0, false
		}
	}
	return float64(subst) + caseBits(units[:len(word)]), true
}

// caseBits returns the bits it takes to describe the case of the letters
// of a piece known up to case: none if all are lower case, 1 if all are
// upper case or only the first is, else 1 bit per letter.
func caseBits(piece []rune) float64 {
	letters, upper := 0, 0
	for _, r := range piece {
		switch {
		case isUpper(r):
			upper++
			letters++
		case r >= 'a' && r <= 'z':
			letters++
		}
	}
	switch {
	case upper == 0:
		return 0
	case upper == letters, upper == 1 && isUpper(piece[0]):
		return 1
	}
	return float64(letters)
}

// sequenceAt returns the length of the sequence units starts with
// (characters of one class stepping by +1 or -1: "abc", "9876") and the
// size of its class (10 or 26); a length under 3 is no sequence.
func sequenceAt(units []rune) (length, size int) {
	if len(units) < 2 {
		return len(units), 0
	}
	group := func(r rune) int {
		switch {
		case r >= '0' && r <= '9':
			return 10
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			return 26
		}
		return 0
	}
	size = group(units[0])
	step := units[1] - units[0]
	if size == 0 || (step != 1 && step != -1) {
		return 1, 0
	}
	length = 1
	for length < len(units) && units[length]-units[length-1] == step && group(units[length]) == size &&
		isUpper(units[length]) == isUpper(units[0]) {
		length++
	}
	return length, size
}

// isUpper reports whether r is an ASCII upper case letter.
func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

// keyboardAt returns the length of the longest run of neighbouring keys of
// one keyboard row, either direction, that units starts with (ignoring
// case).
func keyboardAt(units []rune) int {
	longest := 0
	lower := func(r rune) rune {
		if isUpper(r) {
			return r + ('a' - 'A')
		}
		return r
	}
	for _, row := range keyboardRows() {
		k := strings.IndexRune(row, lower(units[0]))
		if k < 0 {
			continue
		}
		for _, step := range []int{1, -1} {
			l := 1
			for p := k + step; l < len(units) && p >= 0 && p < len(row) && lower(units[l]) == rune(row[p]); p += step {
				l++
			}
			longest = max(longest, l)
		}
	}
	return longest
}

// isYear reports whether units starts with a year from 1900 to 2099.
func isYear(units []rune) bool {
	if len(units) < 4 {
		return false
	}
	for _, r := range units[:4] {
		if r < '0' || r > '9' {
			return false
		}
	}
	century := string(units[:2])
	return century == "19" || century == "20"
}
