//! The pace a batch gets: the `--concurrency` and `--rpm` asked for, within the request limits of
//! the providers it calls. An HTTP provider keeps to its own `throttle` whatever the batch asks,
//! so the run, its estimate and its memory are planned for the lower of the two, and the user is
//! told which setting to raise.

use fitview_engine::provider::ThrottleConfig;

/// The request limits of one provider a batch calls.
#[derive(Debug, Clone, Copy)]
pub struct ProviderLimits<'a> {
    /// The provider's registry name (`nano-banana`).
    pub name: &'a str,
    /// Its configuration section (`provider_settings`, `style_provider_settings`).
    pub section: &'a str,
    /// Its throttle.
    pub limits: ThrottleConfig,
}

/// Calls in flight and per minute a run gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    /// Provider calls in flight at once.
    pub concurrency: usize,
    /// Provider calls started per minute, at most (`None`: no bound).
    pub rpm: Option<u32>,
    /// Where a provider's limits are below what was asked, one line each, naming the setting.
    pub lowered_by: Vec<String>,
}

/// The pace of a run asked for `concurrency` and `rpm`, calling providers with these limits.
pub fn pace(concurrency: usize, rpm: Option<u32>, providers: &[ProviderLimits<'_>]) -> Pace {
    let mut pace = Pace {
        concurrency: concurrency.max(1),
        rpm: rpm.filter(|&r| r > 0),
        lowered_by: Vec::new(),
    };
    for provider in providers {
        let limits = provider.limits;
        if limits.max_concurrency < pace.concurrency {
            pace.lowered_by.push(format!(
                "{} keeps at most {} requests in flight, below the {} asked \
                 (raise {}.throttle.max_concurrency to allow more)",
                provider.name, limits.max_concurrency, pace.concurrency, provider.section
            ));
            pace.concurrency = limits.max_concurrency.max(1);
        }
        if let Some(provider_rpm) = limits.requests_per_minute.filter(|&r| r > 0)
            && pace.rpm.is_none_or(|asked| provider_rpm < asked)
        {
            pace.lowered_by.push(format!(
                "{} starts at most {provider_rpm} requests per minute{} \
                 (raise {}.throttle.requests_per_minute, 0 for no limit)",
                provider.name,
                pace.rpm
                    .map(|asked| format!(", below the {asked} asked"))
                    .unwrap_or_default(),
                provider.section
            ));
            pace.rpm = Some(provider_rpm);
        }
    }
    pace
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gemini(max_concurrency: usize, requests_per_minute: Option<u32>) -> ProviderLimits<'static> {
        ProviderLimits {
            name: "nano-banana",
            section: "provider_settings",
            limits: ThrottleConfig {
                max_concurrency,
                requests_per_minute,
                burst: 2,
            },
        }
    }

    #[test]
    fn an_in_process_provider_runs_at_the_pace_asked() {
        let pace = pace(64, None, &[]);
        assert_eq!(
            pace,
            Pace {
                concurrency: 64,
                rpm: None,
                lowered_by: Vec::new()
            }
        );
    }

    #[test]
    fn a_provider_throttle_below_the_ask_sets_the_pace_and_names_the_setting() {
        let pace = pace(64, None, &[gemini(4, Some(20))]);
        assert_eq!((pace.concurrency, pace.rpm), (4, Some(20)));
        assert_eq!(pace.lowered_by.len(), 2, "{:?}", pace.lowered_by);
        assert!(
            pace.lowered_by[0].contains("at most 4 requests in flight, below the 64 asked")
                && pace.lowered_by[0].contains("provider_settings.throttle.max_concurrency"),
            "{}",
            pace.lowered_by[0]
        );
        assert!(
            pace.lowered_by[1].contains("at most 20 requests per minute")
                && pace.lowered_by[1].contains("provider_settings.throttle.requests_per_minute"),
            "{}",
            pace.lowered_by[1]
        );
    }

    #[test]
    fn the_stricter_of_the_ask_and_each_provider_wins() {
        // The ask is stricter than the provider: nothing to say.
        let pace_a = pace(2, Some(10), &[gemini(4, Some(20))]);
        assert_eq!((pace_a.concurrency, pace_a.rpm), (2, Some(10)));
        assert!(pace_a.lowered_by.is_empty());
        // No rate limit on the provider (0 or none) keeps the ask.
        let pace_b = pace(8, Some(30), &[gemini(16, Some(0)), gemini(16, None)]);
        assert_eq!((pace_b.concurrency, pace_b.rpm), (8, Some(30)));
        // Two providers: the lowest of all.
        let style = ProviderLimits {
            name: "grok",
            section: "style_provider_settings",
            ..gemini(3, Some(12))
        };
        let pace_c = pace(8, Some(30), &[gemini(6, Some(20)), style]);
        assert_eq!((pace_c.concurrency, pace_c.rpm), (3, Some(12)));
        assert!(pace_c.lowered_by[2].contains("style_provider_settings.throttle"));
    }
}
