//! Telling words apart from typos of each other, and naming an option by its title.

use super::{normalize, words};

/// Edit distance with adjacent transpositions, capped: returns `max + 1` once exceeded.
/// Words are short, so the rows live on the stack.
fn distance(a: &[char], b: &[char], max: usize) -> usize {
    const MAX_LEN: usize = 32;
    if a.len() > MAX_LEN || b.len() > MAX_LEN {
        return if a == b { 0 } else { max + 1 };
    }
    let mut prev2 = [0usize; MAX_LEN + 1];
    let mut prev = [0usize; MAX_LEN + 1];
    let mut cur = [0usize; MAX_LEN + 1];
    for (j, p) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[b.len()]
}

/// Whether two normalised words are the same up to a small typo: exact below 4 letters,
/// one edit up to 7, two from 8.
pub fn similar(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let allowed = match la.min(lb) {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    if allowed == 0 || la.abs_diff(lb) > allowed {
        return false;
    }
    let mut ca = ['\0'; 32];
    let mut cb = ['\0'; 32];
    if la > 32 || lb > 32 {
        return false;
    }
    for (slot, c) in ca.iter_mut().zip(a.chars()) {
        *slot = c;
    }
    for (slot, c) in cb.iter_mut().zip(b.chars()) {
        *slot = c;
    }
    distance(&ca[..la], &cb[..lb], allowed) <= allowed
}

/// Whether the words of `phrase` occur consecutively in `text_words`, each up to a typo.
pub(super) fn contains_fuzzy(text_words: &[&str], phrase: &str) -> bool {
    let pw: Vec<&str> = words(phrase);
    if pw.is_empty() || pw.len() > text_words.len() {
        return false;
    }
    text_words
        .windows(pw.len())
        .any(|window| window.iter().zip(&pw).all(|(a, b)| similar(a, b)))
}

/// The option whose title the text names: equal up to typos, or contained as whole words.
/// `None` when no option or several options match equally well.
pub fn match_title<'a>(norm: &str, titles: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    let text_words = words(norm);
    let mut exact = Vec::new();
    let mut contained = Vec::new();
    let mut inside = Vec::new();
    for (i, title) in titles.into_iter().enumerate() {
        let t = normalize(title);
        if t.is_empty() {
            continue;
        }
        let tw = words(&t);
        if tw.len() == text_words.len() && tw.iter().zip(&text_words).all(|(a, b)| similar(a, b)) {
            exact.push(i);
        } else if contains_fuzzy(&text_words, &t) {
            contained.push((i, tw.len()));
        } else if !text_words.is_empty() && contains_fuzzy(&tw, norm) {
            inside.push(i);
        }
    }
    match exact.as_slice() {
        [one] => return Some(*one),
        [_, _, ..] => return None,
        [] => {}
    }
    let Some(longest) = contained.iter().map(|(_, n)| *n).max() else {
        // The text is part of exactly one title ("Costa" for "Maria Costa").
        return match inside.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
    };
    let best: Vec<usize> = contained
        .iter()
        .filter(|(_, n)| *n == longest)
        .map(|(i, _)| *i)
        .collect();
    match best.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}
