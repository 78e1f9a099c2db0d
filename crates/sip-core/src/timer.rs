//! Session timers (RFC 4028): the `Session-Expires` negotiation in both roles, and the two
//! deadlines that follow from it: when we refresh, or when we give up on a far end that
//! stopped refreshing.

use crate::extensions;
use crate::message::{Headers, Params};

/// §5: no session interval may be shorter than 90 s; we accept anything from there.
pub const MIN_SE: u32 = 90;

/// Who sends the refreshes, as the `refresher` parameter names it for one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    Uac,
    Uas,
}

impl Refresher {
    fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

/// `Session-Expires: <delta>[;refresher=uac|uas]`.
pub fn session_expires(headers: &Headers) -> Option<(u32, Option<Refresher>)> {
    let v = headers.get("Session-Expires")?;
    let (delta, params) = v.split_once(';').unwrap_or((v, ""));
    let delta: u32 = delta.trim().parse().ok()?;
    let refresher = match Params::parse(params, b';').get("refresher") {
        Some(r) if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
        Some(r) if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
        _ => None,
    };
    Some((delta, refresher))
}

/// The outcome of a request that asked for a session timer, seen from the UAS (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreed {
    pub interval: u32,
    pub refresher: Refresher,
}

impl Agreed {
    /// The headers our 2xx carries: `Session-Expires` with the refresher, and `Require: timer`
    /// when the far end (the UAC) refreshes, so it knows it must (§9).
    pub fn write_response(&self, headers: &mut Headers) {
        headers.push(
            "Session-Expires",
            format!("{};refresher={}", self.interval, self.refresher.as_str()),
        );
        if self.refresher == Refresher::Uac {
            headers.push("Require", "timer");
        }
    }
}

/// §9, UAS side of an INVITE, re-INVITE or UPDATE: `Ok(None)` when the request asks for no
/// timer, `Err(min)` for a 422 with `Min-SE: min`.
pub fn as_uas(request: &Headers) -> Result<Option<Agreed>, u32> {
    let Some((interval, refresher)) = session_expires(request) else {
        return Ok(None);
    };
    let uac_supports = extensions::has(request, "Supported", "timer") || extensions::has(request, "Require", "timer");
    // Too brief: 422 for a UAC that can retry. One that knows nothing of timers (a proxy
    // asked on its behalf) cannot, so we take the smallest interval allowed instead.
    if interval < MIN_SE && uac_supports {
        return Err(MIN_SE);
    }
    let min_se = request
        .get("Min-SE")
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(MIN_SE);
    let interval = interval.max(MIN_SE).max(min_se);
    // A refresher the request names is kept. Otherwise a UAC that supports timers does the
    // refreshing (fewer requests from a tab the browser may throttle); one that does not
    // cannot, so we must (§9).
    let refresher = match refresher {
        Some(r) => r,
        None if uac_supports => Refresher::Uac,
        None => Refresher::Uas,
    };
    Ok(Some(Agreed { interval, refresher }))
}

/// The timer of a confirmed session, off until a timer is agreed.
#[derive(Debug, Default, Clone)]
pub(crate) struct SessionTimer {
    active: Option<Active>,
}

#[derive(Debug, Clone)]
struct Active {
    interval: u32,
    we_refresh: bool,
    refreshed_at: u64,
    /// Our refresh is out: only the expiry is left to watch until it completes.
    refreshing: bool,
}

impl Active {
    fn refresh_at(&self) -> u64 {
        // §10: the refresher sends its refresh at half the interval.
        self.refreshed_at + u64::from(self.interval) * 500
    }

    fn expiry_at(&self) -> u64 {
        // §10: a session that was not refreshed ends with a BYE before it expires, by the
        // lesser of 32 s and a third of the interval.
        let ms = u64::from(self.interval) * 1000;
        self.refreshed_at + ms - (ms / 3).min(32_000)
    }
}

/// What is due at the timer's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Send a refresh (we are the refresher).
    Refresh,
    /// Nobody refreshed the session in time: end it.
    Expired,
}

impl SessionTimer {
    /// A refresh went through (2xx sent or received) with this interval, and whether we are
    /// the refresher from now on. `None` turns the timer off: the last refresh asked for none.
    pub fn restart(&mut self, now: u64, agreed: Option<(u32, bool)>) {
        self.active = agreed.map(|(interval, we_refresh)| Active {
            interval,
            we_refresh,
            refreshed_at: now,
            refreshing: false,
        });
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let a = self.active.as_ref()?;
        Some(if a.we_refresh && !a.refreshing {
            a.refresh_at()
        } else {
            a.expiry_at()
        })
    }

    /// What is due at `now`, if anything. After `Refresh`, only the expiry is watched until
    /// the next `restart`.
    pub fn due(&mut self, now: u64) -> Option<Due> {
        let a = self.active.as_mut()?;
        if now >= a.expiry_at() {
            self.active = None;
            return Some(Due::Expired);
        }
        if a.we_refresh && !a.refreshing && now >= a.refresh_at() {
            a.refreshing = true;
            return Some(Due::Refresh);
        }
        None
    }

    /// The interval in force.
    pub fn interval(&self) -> Option<u32> {
        self.active.as_ref().map(|a| a.interval)
    }

    /// Headers of a refresh or re-offer we send (§7.4): the interval in force, us as
    /// refresher. Nothing when no timer is running.
    pub fn write_request(&self, headers: &mut Headers) {
        if let Some(interval) = self.interval() {
            headers.push("Session-Expires", format!("{interval};refresher=uac"));
            headers.push("Min-SE", MIN_SE.to_string());
        }
    }
}

/// The outcome of a 2xx to our INVITE, re-INVITE or UPDATE (§7.2): the interval and whether
/// we refresh. `None` when the 2xx carries no `Session-Expires`: no timer.
pub fn as_uac(response: &Headers) -> Option<(u32, bool)> {
    let (interval, refresher) = session_expires(response)?;
    // A 2xx without a refresher leaves the choice to the UAC (§7.2): we do it ourselves.
    Some((interval.max(MIN_SE), refresher != Some(Refresher::Uas)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in pairs {
            h.push(n, *v);
        }
        h
    }

    #[test]
    fn uas_keeps_a_named_refresher_and_otherwise_lets_a_capable_uac_refresh() {
        let named = req(&[("Session-Expires", "1800;refresher=uas"), ("Supported", "timer")]);
        assert_eq!(
            as_uas(&named),
            Ok(Some(Agreed {
                interval: 1800,
                refresher: Refresher::Uas
            }))
        );
        let capable = req(&[("Session-Expires", "600"), ("Supported", "100rel, timer")]);
        assert_eq!(as_uas(&capable).unwrap().unwrap().refresher, Refresher::Uac);
        let unaware = req(&[("Session-Expires", "600")]);
        assert_eq!(as_uas(&unaware).unwrap().unwrap().refresher, Refresher::Uas);
        assert_eq!(as_uas(&req(&[])), Ok(None));
    }

    #[test]
    fn too_small_is_422_when_the_uac_can_retry_else_raised() {
        assert_eq!(
            as_uas(&req(&[("Session-Expires", "30"), ("Supported", "timer")])),
            Err(MIN_SE)
        );
        assert_eq!(
            as_uas(&req(&[("Session-Expires", "30")])).unwrap().unwrap().interval,
            MIN_SE
        );
        let min = req(&[("Session-Expires", "100"), ("Min-SE", "120"), ("Supported", "timer")]);
        assert_eq!(as_uas(&min).unwrap().unwrap().interval, 120);
    }

    #[test]
    fn response_headers_require_timer_when_the_uac_refreshes() {
        let mut h = Headers::new();
        Agreed {
            interval: 600,
            refresher: Refresher::Uac,
        }
        .write_response(&mut h);
        assert_eq!(h.get("Session-Expires"), Some("600;refresher=uac"));
        assert_eq!(h.get("Require"), Some("timer"));
    }

    #[test]
    fn deadlines_half_for_the_refresher_and_before_expiry_for_both() {
        let mut t = SessionTimer::default();
        t.restart(1_000, Some((600, true)));
        assert_eq!(t.poll_timeout(), Some(301_000));
        assert_eq!(t.due(300_999), None);
        assert_eq!(t.due(301_000), Some(Due::Refresh));
        assert_eq!(t.poll_timeout(), Some(569_000), "then only the expiry is watched");
        assert_eq!(t.due(569_000), Some(Due::Expired));
        assert_eq!(t.poll_timeout(), None);
        t.restart(0, Some((90, false)));
        assert_eq!(t.poll_timeout(), Some(60_000), "90 s less a third (30 s)");
        t.restart(0, Some((1800, false)));
        assert_eq!(t.poll_timeout(), Some(1_768_000), "1800 s less 32 s");
        assert_eq!(t.due(1_768_000), Some(Due::Expired));
        t.restart(0, None);
        assert_eq!(t.poll_timeout(), None);
    }

    #[test]
    fn uac_side_refreshes_unless_the_uas_took_it() {
        assert_eq!(
            as_uac(&req(&[("Session-Expires", "600;refresher=uac")])),
            Some((600, true))
        );
        assert_eq!(
            as_uac(&req(&[("Session-Expires", "600;refresher=uas")])),
            Some((600, false))
        );
        assert_eq!(as_uac(&req(&[("Session-Expires", "600")])), Some((600, true)));
        assert_eq!(as_uac(&req(&[])), None);
    }
}
