#include "CKafkaCodecs.h"
