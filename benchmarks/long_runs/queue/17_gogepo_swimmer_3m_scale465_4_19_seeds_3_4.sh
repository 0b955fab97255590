# Seeds 3-4 of the 465 + 4/19 ablation (17_...): seeds 0 and 1 ended at 332.1 and 328.7, against 465 with the paper's
# 5 + 20 updates at 295 ± 39 (seeds 0-4). Three seeds against five cannot reach a one-sided rank-sum p below 0.05 (at
# best 4/56 with 5 + 20's seed 1 at 340.3); five against five can. Before the Hopper runs, for the same reason as 17_.
SEEDS=3-4 exec bash "$(dirname "$0")/17_gogepo_swimmer_3m_scale465_4_19.sh"
