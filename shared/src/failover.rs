//! Several bridges behind one worker: which to ask first, which to skip for a while, and how
//! a call's time budget is split so a second bridge still has time to answer.
//!
//! Pure: the caller passes the clock (milliseconds) and a random starting point, and
//! reports how each attempt went.

/// How long a bridge that failed or did not answer is skipped.
pub const SKIP_MS: u64 = 30_000;

/// An attempt needs at least this long to be worth making.
pub const MIN_ATTEMPT_MS: u64 = 150;

/// The bridges one worker reaches, with when each failed last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bridges {
    urls: Vec<String>,
    /// Until when (milliseconds) each is skipped; 0 when it is not.
    skipped_until: Vec<u64>,
}

/// Why a `BRIDGE_URL` list does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// Nothing in it.
    Empty,
    /// An entry that is not an `http://` or `https://` URL.
    NotAUrl(String),
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListError::Empty => f.write_str("no bridge URL given"),
            ListError::NotAUrl(u) => write!(f, "{u:?} is not an http(s) URL"),
        }
    }
}

impl std::error::Error for ListError {}

impl Bridges {
    /// Reads a list of bridge origins separated by commas or whitespace; repeated entries
    /// count once and trailing slashes are dropped.
    pub fn parse(list: &str) -> Result<Self, ListError> {
        let mut urls: Vec<String> = Vec::new();
        for entry in list.split(|c: char| c == ',' || c.is_whitespace()) {
            let entry = entry.trim().trim_end_matches('/');
            if entry.is_empty() {
                continue;
            }
            let rest = entry
                .strip_prefix("https://")
                .or_else(|| entry.strip_prefix("http://"));
            if rest.is_none_or(str::is_empty) {
                return Err(ListError::NotAUrl(entry.to_owned()));
            }
            if !urls.iter().any(|u| u == entry) {
                urls.push(entry.to_owned());
            }
        }
        if urls.is_empty() {
            return Err(ListError::Empty);
        }
        let skipped_until = vec![0; urls.len()];
        Ok(Self {
            urls,
            skipped_until,
        })
    }

    /// How many bridges there are.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Never: a list holds at least one bridge.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// The origin of bridge `i`.
    pub fn url(&self, i: usize) -> &str {
        &self.urls[i]
    }

    /// The order to try them in at `now`: the bridges not being skipped, starting from
    /// `start` (spreading calls over them), then the skipped ones, soonest back first, so a
    /// call still goes somewhere when every bridge failed lately.
    pub fn order(&self, now: u64, start: usize) -> Vec<usize> {
        let n = self.urls.len();
        let (mut up, mut down): (Vec<usize>, Vec<usize>) = (0..n)
            .map(|k| (start + k) % n)
            .partition(|&i| self.skipped_until[i] <= now);
        down.sort_by_key(|&i| self.skipped_until[i]);
        up.append(&mut down);
        up
    }

    /// Bridge `i` failed or did not answer at `now`: skip it for [`SKIP_MS`].
    pub fn failed(&mut self, i: usize, now: u64) {
        if let Some(until) = self.skipped_until.get_mut(i) {
            *until = now + SKIP_MS;
        }
    }

    /// Bridge `i` answered: no reason to skip it.
    pub fn answered(&mut self, i: usize) {
        if let Some(until) = self.skipped_until.get_mut(i) {
            *until = 0;
        }
    }
}

/// How much of `remaining` milliseconds one attempt may use when `others` more bridges could
/// be tried after it: with others left, three fifths, so a second bridge keeps enough time
/// to answer; the last attempt takes all that is left. `None` when too little is left to
/// try at all.
pub fn attempt_budget(remaining: u64, others: usize) -> Option<u64> {
    if remaining < MIN_ATTEMPT_MS {
        return None;
    }
    if others == 0 {
        return Some(remaining);
    }
    Some((remaining * 3 / 5).max(MIN_ATTEMPT_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_reads_with_commas_spaces_and_slashes() {
        let b = Bridges::parse(" https://a.example/, http://127.0.0.1:8788  https://a.example ")
            .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b.url(0), "https://a.example");
        assert_eq!(b.url(1), "http://127.0.0.1:8788");
        assert_eq!(Bridges::parse(" , ").unwrap_err(), ListError::Empty);
        assert_eq!(
            Bridges::parse("https://a.example, bridge-b:8788").unwrap_err(),
            ListError::NotAUrl("bridge-b:8788".into())
        );
        assert!(Bridges::parse("https://").is_err());
    }

    #[test]
    fn calls_spread_over_the_bridges_and_skip_a_failed_one_for_a_while() {
        let mut b = Bridges::parse("http://a,http://b,http://c").unwrap();
        assert_eq!(b.order(0, 0), vec![0, 1, 2]);
        assert_eq!(b.order(0, 1), vec![1, 2, 0]);
        b.failed(1, 1_000);
        // Skipped while it is down, tried last rather than never.
        assert_eq!(b.order(2_000, 1), vec![2, 0, 1]);
        assert_eq!(b.order(2_000, 0), vec![0, 2, 1]);
        // Back after the skip.
        assert_eq!(b.order(1_000 + SKIP_MS, 1), vec![1, 2, 0]);
        b.failed(2, 3_000);
        b.answered(2);
        assert_eq!(b.order(4_000, 2), vec![2, 0, 1]);
    }

    #[test]
    fn when_every_bridge_failed_the_soonest_back_goes_first() {
        let mut b = Bridges::parse("http://a,http://b").unwrap();
        b.failed(0, 5_000);
        b.failed(1, 1_000);
        assert_eq!(b.order(6_000, 0), vec![1, 0]);
    }

    #[test]
    fn the_budget_leaves_time_for_another_bridge() {
        assert_eq!(attempt_budget(2_500, 1), Some(1_500));
        assert_eq!(attempt_budget(1_000, 0), Some(1_000));
        assert_eq!(attempt_budget(100, 0), None);
        assert_eq!(attempt_budget(200, 2), Some(150));
        // Whatever the split, one call never runs over its budget.
        for remaining in [150u64, 400, 2_500, 10_000] {
            let first = attempt_budget(remaining, 1).unwrap();
            let second = attempt_budget(remaining - first, 0).unwrap_or(0);
            assert!(first + second <= remaining);
        }
    }
}
