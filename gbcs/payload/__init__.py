"""Payload decoders, one module per family (dlms, gbz, asn1), chosen by gbcs.payload.dispatch."""
