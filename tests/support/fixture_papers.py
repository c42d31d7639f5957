"""A small corpus written for these tests: mixture-of-experts routing and VQA papers."""

PAPERS = [
    {
        "id": "2501.00001",
        "title": "Sparse Mixture-of-Experts Routing for Vision-Language Models",
        "summary": "We study expert routing in sparse mixture-of-experts vision-language\n"
        "models. Top-k routing with k=2 improves VQA accuracy by 1.8 points over dense\n"
        "baselines while activating 30% of parameters.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.CV", "cs.LG"],
        "published": "2025-01-02T10:00:00Z",
        "comment": "12 pages",
    },
    {
        "id": "2501.00002",
        "title": "Out-of-Domain Generalization on VQA-CP v2",
        "summary": "Visual question answering models drop 20 points of accuracy on VQA-CP\n"
        "v2. We show that expert specialization reduces the accuracy drop under\n"
        "distribution shift.",
        "authors": ["Grace Hopper"],
        "categories": ["cs.CV"],
        "published": "2025-01-05T10:00:00Z",
        "doi": "10.1000/test.2",
    },
    {
        "id": "2501.00003",
        "title": "Load Balancing Losses for Mixture-of-Experts Routing",
        "summary": "Auxiliary load balancing losses keep expert utilization uniform. Without\n"
        "them, routing collapses to a few experts.",
        "authors": ["Edsger Dijkstra", "Barbara Liskov"],
        "categories": ["cs.LG"],
        "published": "2025-02-01T10:00:00Z",
        "journal_ref": "J. Test 1 (2025)",
    },
    {
        "id": "2501.00004",
        "title": "A-OKVQA: Knowledge-Based Visual Question Answering",
        "summary": "A-OKVQA needs outside knowledge. Fixed routing strategies underperform\n"
        "learned\n"
        "routing on A-OKVQA by 3 points.",
        "authors": ["Claude Shannon"],
        "categories": ["cs.CV", "cs.CL"],
        "published": "2025-03-01T10:00:00Z",
    },
    {
        "id": "2501.00005",
        "title": "Gaussian Splatting for Driving Simulation",
        "summary": "We render driving scenes with Gaussian splatting at 100 frames per second.",
        "authors": ["Hedy Lamarr"],
        "categories": ["cs.GR"],
        "published": "2025-03-02T10:00:00Z",
    },
    {
        "id": "2501.00006",
        "title": "Expert Utilization Metrics in Mixture-of-Experts Models",
        "summary": "We propose metrics of expert utilization and show fixed routing wastes\n"
        "capacity compared to learned routing in mixture-of-experts models.",
        "authors": ["Donald Knuth"],
        "categories": ["cs.LG", "cs.AI"],
        "published": "2025-04-01T10:00:00Z",
    },
    {
        "id": "2612.00007",
        "title": "Mixture-of-Experts Routing From the Future",
        "summary": "A paper submitted after every question's as-of date: routing, experts, VQA.",
        "authors": ["Future Author"],
        "categories": ["cs.LG"],
        "published": "2026-12-01T10:00:00Z",
    },
]
