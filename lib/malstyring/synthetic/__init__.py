"""The synthetic layer: the generator of a panel calibrated to the article (:mod:`malstyring.synthetic.generator`)
and its tuned numbers, each with its source (:mod:`malstyring.synthetic.parameters`). It imports only the data and
base layers: it writes the contract the data layer defines."""
